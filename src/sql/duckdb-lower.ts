/**
 * JavaScript's String.prototype.toLowerCase as a DuckDB macro, for PQL's case-insensitive string tests (the reference
 * lowercases both sides with toLowerCase). DuckDB's lower() maps each code point alone with its own Unicode tables;
 * toLowerCase differs in three ways, each fixed here:
 * - U+0130 'İ' lowercases to 'i' + U+0307 (a special casing of two code points);
 * - 'Σ' becomes final 'ς' when it ends a word (Unicode's Final_Sigma: a cased letter before it, possibly with
 *   case-ignorable characters between, and no cased letter after), a rewrite with the two classes below;
 * - 55 letters of newer Unicode versions than DuckDB 1.5.6's tables, mapped by translate().
 * Generated from V8 (Node 20) and DuckDB 1.5.6 — the classes are what V8's toLowerCase treats as cased and
 * case-ignorable — and checked for every code point X in the contexts X, XΣ, AΣX, AXΣ and ΣX: all 1,112,063 agree.
 * Regenerate both when DuckDB's or Node's Unicode version changes.
 */

/** Code points V8 treats as cased for Final_Sigma (RE2 class body). */
const CASED =
  "\\x{41}-\\x{5a}\\x{61}-\\x{7a}\\x{aa}\\x{b5}\\x{ba}\\x{c0}-\\x{d6}\\x{d8}-\\x{f6}\\x{f8}-\\x{1ba}\\x{1bc}-\\x{1bf}\\x{1c4}-\\x{" +
  "293}\\x{296}-\\x{2af}\\x{370}-\\x{373}\\x{376}-\\x{377}\\x{37b}-\\x{37d}\\x{37f}\\x{386}\\x{388}-\\x{38a}\\x{38c}\\x{38e}-\\x" +
  "{3a1}\\x{3a3}-\\x{3f5}\\x{3f7}-\\x{481}\\x{48a}-\\x{52f}\\x{531}-\\x{556}\\x{560}-\\x{588}\\x{10a0}-\\x{10c5}\\x{10c7}\\x{10" +
  "cd}\\x{10d0}-\\x{10fa}\\x{10fd}-\\x{10ff}\\x{13a0}-\\x{13f5}\\x{13f8}-\\x{13fd}\\x{1c80}-\\x{1c8a}\\x{1c90}-\\x{1cba}\\x{1c" +
  "bd}-\\x{1cbf}\\x{1d00}-\\x{1d2b}\\x{1d6b}-\\x{1d77}\\x{1d79}-\\x{1d9a}\\x{1e00}-\\x{1f15}\\x{1f18}-\\x{1f1d}\\x{1f20}-\\x{1" +
  "f45}\\x{1f48}-\\x{1f4d}\\x{1f50}-\\x{1f57}\\x{1f59}\\x{1f5b}\\x{1f5d}\\x{1f5f}-\\x{1f7d}\\x{1f80}-\\x{1fb4}\\x{1fb6}-\\x{1f" +
  "bc}\\x{1fbe}\\x{1fc2}-\\x{1fc4}\\x{1fc6}-\\x{1fcc}\\x{1fd0}-\\x{1fd3}\\x{1fd6}-\\x{1fdb}\\x{1fe0}-\\x{1fec}\\x{1ff2}-\\x{1f" +
  "f4}\\x{1ff6}-\\x{1ffc}\\x{2102}\\x{2107}\\x{210a}-\\x{2113}\\x{2115}\\x{2119}-\\x{211d}\\x{2124}\\x{2126}\\x{2128}\\x{212a}" +
  "-\\x{212d}\\x{212f}-\\x{2134}\\x{2139}\\x{213c}-\\x{213f}\\x{2145}-\\x{2149}\\x{214e}\\x{2160}-\\x{217f}\\x{2183}-\\x{2184}" +
  "\\x{24b6}-\\x{24e9}\\x{2c00}-\\x{2c7b}\\x{2c7e}-\\x{2ce4}\\x{2ceb}-\\x{2cee}\\x{2cf2}-\\x{2cf3}\\x{2d00}-\\x{2d25}\\x{2d27}" +
  "\\x{2d2d}\\x{a640}-\\x{a66d}\\x{a680}-\\x{a69b}\\x{a722}-\\x{a76f}\\x{a771}-\\x{a787}\\x{a78b}-\\x{a78e}\\x{a790}-\\x{a7dc}" +
  "\\x{a7f5}-\\x{a7f6}\\x{a7fa}\\x{ab30}-\\x{ab5a}\\x{ab60}-\\x{ab68}\\x{ab70}-\\x{abbf}\\x{fb00}-\\x{fb06}\\x{fb13}-\\x{fb17}" +
  "\\x{ff21}-\\x{ff3a}\\x{ff41}-\\x{ff5a}\\x{10400}-\\x{1044f}\\x{104b0}-\\x{104d3}\\x{104d8}-\\x{104fb}\\x{10570}-\\x{1057a}" +
  "\\x{1057c}-\\x{1058a}\\x{1058c}-\\x{10592}\\x{10594}-\\x{10595}\\x{10597}-\\x{105a1}\\x{105a3}-\\x{105b1}\\x{105b3}-\\x{10" +
  "5b9}\\x{105bb}-\\x{105bc}\\x{10c80}-\\x{10cb2}\\x{10cc0}-\\x{10cf2}\\x{10d50}-\\x{10d65}\\x{10d70}-\\x{10d85}\\x{118a0}-\\" +
  "x{118df}\\x{16e40}-\\x{16e7f}\\x{16ea0}-\\x{16eb8}\\x{16ebb}-\\x{16ed3}\\x{1d400}-\\x{1d454}\\x{1d456}-\\x{1d49c}\\x{1d49" +
  "e}-\\x{1d49f}\\x{1d4a2}\\x{1d4a5}-\\x{1d4a6}\\x{1d4a9}-\\x{1d4ac}\\x{1d4ae}-\\x{1d4b9}\\x{1d4bb}\\x{1d4bd}-\\x{1d4c3}\\x{1" +
  "d4c5}-\\x{1d505}\\x{1d507}-\\x{1d50a}\\x{1d50d}-\\x{1d514}\\x{1d516}-\\x{1d51c}\\x{1d51e}-\\x{1d539}\\x{1d53b}-\\x{1d53e}" +
  "\\x{1d540}-\\x{1d544}\\x{1d546}\\x{1d54a}-\\x{1d550}\\x{1d552}-\\x{1d6a5}\\x{1d6a8}-\\x{1d6c0}\\x{1d6c2}-\\x{1d6da}\\x{1d6" +
  "dc}-\\x{1d6fa}\\x{1d6fc}-\\x{1d714}\\x{1d716}-\\x{1d734}\\x{1d736}-\\x{1d74e}\\x{1d750}-\\x{1d76e}\\x{1d770}-\\x{1d788}\\x" +
  "{1d78a}-\\x{1d7a8}\\x{1d7aa}-\\x{1d7c2}\\x{1d7c4}-\\x{1d7cb}\\x{1df00}-\\x{1df09}\\x{1df0b}-\\x{1df1e}\\x{1df25}-\\x{1df2" +
  "a}\\x{1e900}-\\x{1e943}\\x{1f130}-\\x{1f149}\\x{1f150}-\\x{1f169}\\x{1f170}-\\x{1f189}";

/** Code points V8 treats as case-ignorable for Final_Sigma (RE2 class body). */
const CASE_IGNORABLE =
  "\\x{27}\\x{2e}\\x{3a}\\x{5e}\\x{60}\\x{a8}\\x{ad}\\x{af}\\x{b4}\\x{b7}-\\x{b8}\\x{2b0}-\\x{36f}\\x{374}-\\x{375}\\x{37a}\\x{384" +
  "}-\\x{385}\\x{387}\\x{483}-\\x{489}\\x{559}\\x{55f}\\x{591}-\\x{5bd}\\x{5bf}\\x{5c1}-\\x{5c2}\\x{5c4}-\\x{5c5}\\x{5c7}\\x{5f4" +
  "}\\x{600}-\\x{605}\\x{610}-\\x{61a}\\x{61c}\\x{640}\\x{64b}-\\x{65f}\\x{670}\\x{6d6}-\\x{6dd}\\x{6df}-\\x{6e8}\\x{6ea}-\\x{6e" +
  "d}\\x{70f}\\x{711}\\x{730}-\\x{74a}\\x{7a6}-\\x{7b0}\\x{7eb}-\\x{7f5}\\x{7fa}\\x{7fd}\\x{816}-\\x{82d}\\x{859}-\\x{85b}\\x{88" +
  "8}\\x{890}-\\x{891}\\x{897}-\\x{89f}\\x{8c9}-\\x{902}\\x{93a}\\x{93c}\\x{941}-\\x{948}\\x{94d}\\x{951}-\\x{957}\\x{962}-\\x{9" +
  "63}\\x{971}\\x{981}\\x{9bc}\\x{9c1}-\\x{9c4}\\x{9cd}\\x{9e2}-\\x{9e3}\\x{9fe}\\x{a01}-\\x{a02}\\x{a3c}\\x{a41}-\\x{a42}\\x{a4" +
  "7}-\\x{a48}\\x{a4b}-\\x{a4d}\\x{a51}\\x{a70}-\\x{a71}\\x{a75}\\x{a81}-\\x{a82}\\x{abc}\\x{ac1}-\\x{ac5}\\x{ac7}-\\x{ac8}\\x{a" +
  "cd}\\x{ae2}-\\x{ae3}\\x{afa}-\\x{aff}\\x{b01}\\x{b3c}\\x{b3f}\\x{b41}-\\x{b44}\\x{b4d}\\x{b55}-\\x{b56}\\x{b62}-\\x{b63}\\x{b" +
  "82}\\x{bc0}\\x{bcd}\\x{c00}\\x{c04}\\x{c3c}\\x{c3e}-\\x{c40}\\x{c46}-\\x{c48}\\x{c4a}-\\x{c4d}\\x{c55}-\\x{c56}\\x{c62}-\\x{c" +
  "63}\\x{c81}\\x{cbc}\\x{cbf}\\x{cc6}\\x{ccc}-\\x{ccd}\\x{ce2}-\\x{ce3}\\x{d00}-\\x{d01}\\x{d3b}-\\x{d3c}\\x{d41}-\\x{d44}\\x{d" +
  "4d}\\x{d62}-\\x{d63}\\x{d81}\\x{dca}\\x{dd2}-\\x{dd4}\\x{dd6}\\x{e31}\\x{e34}-\\x{e3a}\\x{e46}-\\x{e4e}\\x{eb1}\\x{eb4}-\\x{e" +
  "bc}\\x{ec6}\\x{ec8}-\\x{ece}\\x{f18}-\\x{f19}\\x{f35}\\x{f37}\\x{f39}\\x{f71}-\\x{f7e}\\x{f80}-\\x{f84}\\x{f86}-\\x{f87}\\x{f" +
  "8d}-\\x{f97}\\x{f99}-\\x{fbc}\\x{fc6}\\x{102d}-\\x{1030}\\x{1032}-\\x{1037}\\x{1039}-\\x{103a}\\x{103d}-\\x{103e}\\x{1058}-" +
  "\\x{1059}\\x{105e}-\\x{1060}\\x{1071}-\\x{1074}\\x{1082}\\x{1085}-\\x{1086}\\x{108d}\\x{109d}\\x{10fc}\\x{135d}-\\x{135f}\\x" +
  "{1712}-\\x{1714}\\x{1732}-\\x{1733}\\x{1752}-\\x{1753}\\x{1772}-\\x{1773}\\x{17b4}-\\x{17b5}\\x{17b7}-\\x{17bd}\\x{17c6}\\x" +
  "{17c9}-\\x{17d3}\\x{17d7}\\x{17dd}\\x{180b}-\\x{180f}\\x{1843}\\x{1885}-\\x{1886}\\x{18a9}\\x{1920}-\\x{1922}\\x{1927}-\\x{" +
  "1928}\\x{1932}\\x{1939}-\\x{193b}\\x{1a17}-\\x{1a18}\\x{1a1b}\\x{1a56}\\x{1a58}-\\x{1a5e}\\x{1a60}\\x{1a62}\\x{1a65}-\\x{1a" +
  "6c}\\x{1a73}-\\x{1a7c}\\x{1a7f}\\x{1aa7}\\x{1ab0}-\\x{1add}\\x{1ae0}-\\x{1aeb}\\x{1b00}-\\x{1b03}\\x{1b34}\\x{1b36}-\\x{1b3" +
  "a}\\x{1b3c}\\x{1b42}\\x{1b6b}-\\x{1b73}\\x{1b80}-\\x{1b81}\\x{1ba2}-\\x{1ba5}\\x{1ba8}-\\x{1ba9}\\x{1bab}-\\x{1bad}\\x{1be6" +
  "}\\x{1be8}-\\x{1be9}\\x{1bed}\\x{1bef}-\\x{1bf1}\\x{1c2c}-\\x{1c33}\\x{1c36}-\\x{1c37}\\x{1c78}-\\x{1c7d}\\x{1cd0}-\\x{1cd2" +
  "}\\x{1cd4}-\\x{1ce0}\\x{1ce2}-\\x{1ce8}\\x{1ced}\\x{1cf4}\\x{1cf8}-\\x{1cf9}\\x{1d2c}-\\x{1d6a}\\x{1d78}\\x{1d9b}-\\x{1dff}" +
  "\\x{1fbd}\\x{1fbf}-\\x{1fc1}\\x{1fcd}-\\x{1fcf}\\x{1fdd}-\\x{1fdf}\\x{1fed}-\\x{1fef}\\x{1ffd}-\\x{1ffe}\\x{200b}-\\x{200f}" +
  "\\x{2018}-\\x{2019}\\x{2024}\\x{2027}\\x{202a}-\\x{202e}\\x{2060}-\\x{2064}\\x{2066}-\\x{206f}\\x{2071}\\x{207f}\\x{2090}-\\" +
  "x{209c}\\x{20d0}-\\x{20f0}\\x{2c7c}-\\x{2c7d}\\x{2cef}-\\x{2cf1}\\x{2d6f}\\x{2d7f}\\x{2de0}-\\x{2dff}\\x{2e2f}\\x{3005}\\x{" +
  "302a}-\\x{302d}\\x{3031}-\\x{3035}\\x{303b}\\x{3099}-\\x{309e}\\x{30fc}-\\x{30fe}\\x{a015}\\x{a4f8}-\\x{a4fd}\\x{a60c}\\x{a" +
  "66f}-\\x{a672}\\x{a674}-\\x{a67d}\\x{a67f}\\x{a69c}-\\x{a69f}\\x{a6f0}-\\x{a6f1}\\x{a700}-\\x{a721}\\x{a770}\\x{a788}-\\x{a" +
  "78a}\\x{a7f1}-\\x{a7f4}\\x{a7f8}-\\x{a7f9}\\x{a802}\\x{a806}\\x{a80b}\\x{a825}-\\x{a826}\\x{a82c}\\x{a8c4}-\\x{a8c5}\\x{a8e" +
  "0}-\\x{a8f1}\\x{a8ff}\\x{a926}-\\x{a92d}\\x{a947}-\\x{a951}\\x{a980}-\\x{a982}\\x{a9b3}\\x{a9b6}-\\x{a9b9}\\x{a9bc}-\\x{a9b" +
  "d}\\x{a9cf}\\x{a9e5}-\\x{a9e6}\\x{aa29}-\\x{aa2e}\\x{aa31}-\\x{aa32}\\x{aa35}-\\x{aa36}\\x{aa43}\\x{aa4c}\\x{aa70}\\x{aa7c}" +
  "\\x{aab0}\\x{aab2}-\\x{aab4}\\x{aab7}-\\x{aab8}\\x{aabe}-\\x{aabf}\\x{aac1}\\x{aadd}\\x{aaec}-\\x{aaed}\\x{aaf3}-\\x{aaf4}\\" +
  "x{aaf6}\\x{ab5b}-\\x{ab5f}\\x{ab69}-\\x{ab6b}\\x{abe5}\\x{abe8}\\x{abed}\\x{fb1e}\\x{fbb2}-\\x{fbc2}\\x{fe00}-\\x{fe0f}\\x{" +
  "fe13}\\x{fe20}-\\x{fe2f}\\x{fe52}\\x{fe55}\\x{feff}\\x{ff07}\\x{ff0e}\\x{ff1a}\\x{ff3e}\\x{ff40}\\x{ff70}\\x{ff9e}-\\x{ff9f" +
  "}\\x{ffe3}\\x{fff9}-\\x{fffb}\\x{101fd}\\x{102e0}\\x{10376}-\\x{1037a}\\x{10780}-\\x{10785}\\x{10787}-\\x{107b0}\\x{107b2}" +
  "-\\x{107ba}\\x{10a01}-\\x{10a03}\\x{10a05}-\\x{10a06}\\x{10a0c}-\\x{10a0f}\\x{10a38}-\\x{10a3a}\\x{10a3f}\\x{10ae5}-\\x{10" +
  "ae6}\\x{10d24}-\\x{10d27}\\x{10d4e}\\x{10d69}-\\x{10d6d}\\x{10d6f}\\x{10eab}-\\x{10eac}\\x{10ec5}\\x{10efa}-\\x{10eff}\\x{" +
  "10f46}-\\x{10f50}\\x{10f82}-\\x{10f85}\\x{11001}\\x{11038}-\\x{11046}\\x{11070}\\x{11073}-\\x{11074}\\x{1107f}-\\x{11081}" +
  "\\x{110b3}-\\x{110b6}\\x{110b9}-\\x{110ba}\\x{110bd}\\x{110c2}\\x{110cd}\\x{11100}-\\x{11102}\\x{11127}-\\x{1112b}\\x{1112" +
  "d}-\\x{11134}\\x{11173}\\x{11180}-\\x{11181}\\x{111b6}-\\x{111be}\\x{111c9}-\\x{111cc}\\x{111cf}\\x{1122f}-\\x{11231}\\x{1" +
  "1234}\\x{11236}-\\x{11237}\\x{1123e}\\x{11241}\\x{112df}\\x{112e3}-\\x{112ea}\\x{11300}-\\x{11301}\\x{1133b}-\\x{1133c}\\x" +
  "{11340}\\x{11366}-\\x{1136c}\\x{11370}-\\x{11374}\\x{113bb}-\\x{113c0}\\x{113ce}\\x{113d0}\\x{113d2}\\x{113e1}-\\x{113e2}" +
  "\\x{11438}-\\x{1143f}\\x{11442}-\\x{11444}\\x{11446}\\x{1145e}\\x{114b3}-\\x{114b8}\\x{114ba}\\x{114bf}-\\x{114c0}\\x{114c" +
  "2}-\\x{114c3}\\x{115b2}-\\x{115b5}\\x{115bc}-\\x{115bd}\\x{115bf}-\\x{115c0}\\x{115dc}-\\x{115dd}\\x{11633}-\\x{1163a}\\x{" +
  "1163d}\\x{1163f}-\\x{11640}\\x{116ab}\\x{116ad}\\x{116b0}-\\x{116b5}\\x{116b7}\\x{1171d}\\x{1171f}\\x{11722}-\\x{11725}\\x" +
  "{11727}-\\x{1172b}\\x{1182f}-\\x{11837}\\x{11839}-\\x{1183a}\\x{1193b}-\\x{1193c}\\x{1193e}\\x{11943}\\x{119d4}-\\x{119d7" +
  "}\\x{119da}-\\x{119db}\\x{119e0}\\x{11a01}-\\x{11a0a}\\x{11a33}-\\x{11a38}\\x{11a3b}-\\x{11a3e}\\x{11a47}\\x{11a51}-\\x{11" +
  "a56}\\x{11a59}-\\x{11a5b}\\x{11a8a}-\\x{11a96}\\x{11a98}-\\x{11a99}\\x{11b60}\\x{11b62}-\\x{11b64}\\x{11b66}\\x{11c30}-\\x" +
  "{11c36}\\x{11c38}-\\x{11c3d}\\x{11c3f}\\x{11c92}-\\x{11ca7}\\x{11caa}-\\x{11cb0}\\x{11cb2}-\\x{11cb3}\\x{11cb5}-\\x{11cb6" +
  "}\\x{11d31}-\\x{11d36}\\x{11d3a}\\x{11d3c}-\\x{11d3d}\\x{11d3f}-\\x{11d45}\\x{11d47}\\x{11d90}-\\x{11d91}\\x{11d95}\\x{11d" +
  "97}\\x{11dd9}\\x{11ef3}-\\x{11ef4}\\x{11f00}-\\x{11f01}\\x{11f36}-\\x{11f3a}\\x{11f40}\\x{11f42}\\x{11f5a}\\x{13430}-\\x{1" +
  "3440}\\x{13447}-\\x{13455}\\x{1611e}-\\x{16129}\\x{1612d}-\\x{1612f}\\x{16af0}-\\x{16af4}\\x{16b30}-\\x{16b36}\\x{16b40}-" +
  "\\x{16b43}\\x{16d40}-\\x{16d42}\\x{16d6b}-\\x{16d6c}\\x{16f4f}\\x{16f8f}-\\x{16f9f}\\x{16fe0}-\\x{16fe1}\\x{16fe3}-\\x{16f" +
  "e4}\\x{16ff2}-\\x{16ff3}\\x{1aff0}-\\x{1aff3}\\x{1aff5}-\\x{1affb}\\x{1affd}-\\x{1affe}\\x{1bc9d}-\\x{1bc9e}\\x{1bca0}-\\x" +
  "{1bca3}\\x{1cf00}-\\x{1cf2d}\\x{1cf30}-\\x{1cf46}\\x{1d167}-\\x{1d169}\\x{1d173}-\\x{1d182}\\x{1d185}-\\x{1d18b}\\x{1d1aa" +
  "}-\\x{1d1ad}\\x{1d242}-\\x{1d244}\\x{1da00}-\\x{1da36}\\x{1da3b}-\\x{1da6c}\\x{1da75}\\x{1da84}\\x{1da9b}-\\x{1da9f}\\x{1d" +
  "aa1}-\\x{1daaf}\\x{1e000}-\\x{1e006}\\x{1e008}-\\x{1e018}\\x{1e01b}-\\x{1e021}\\x{1e023}-\\x{1e024}\\x{1e026}-\\x{1e02a}\\" +
  "x{1e030}-\\x{1e06d}\\x{1e08f}\\x{1e130}-\\x{1e13d}\\x{1e2ae}\\x{1e2ec}-\\x{1e2ef}\\x{1e4eb}-\\x{1e4ef}\\x{1e5ee}-\\x{1e5e" +
  "f}\\x{1e6e3}\\x{1e6e6}\\x{1e6ee}-\\x{1e6ef}\\x{1e6f5}\\x{1e6ff}\\x{1e8d0}-\\x{1e8d6}\\x{1e944}-\\x{1e94b}\\x{1f3fb}-\\x{1f" +
  "3ff}\\x{e0001}\\x{e0020}-\\x{e007f}\\x{e0100}-\\x{e01ef}";

/** Letters whose lowercase DuckDB 1.5.6's lower() does not know, and their lowercase (same positions). */
const NEWER_UPPER =
  "\u{1C89}\u{A7CB}\u{A7CC}\u{A7CE}\u{A7D2}\u{A7D4}\u{A7DA}\u{A7DC}\u{10D50}\u{10D51}\u{10D52}\u{10D53}" +
  "\u{10D54}\u{10D55}\u{10D56}\u{10D57}\u{10D58}\u{10D59}\u{10D5A}\u{10D5B}\u{10D5C}\u{10D5D}\u{10D5E}\u{10D5F}" +
  "\u{10D60}\u{10D61}\u{10D62}\u{10D63}\u{10D64}\u{10D65}\u{16EA0}\u{16EA1}\u{16EA2}\u{16EA3}\u{16EA4}\u{16EA5}" +
  "\u{16EA6}\u{16EA7}\u{16EA8}\u{16EA9}\u{16EAA}\u{16EAB}\u{16EAC}\u{16EAD}\u{16EAE}\u{16EAF}\u{16EB0}\u{16EB1}" +
  "\u{16EB2}\u{16EB3}\u{16EB4}\u{16EB5}\u{16EB6}\u{16EB7}\u{16EB8}";
const NEWER_LOWER =
  "\u{1C8A}\u{264}\u{A7CD}\u{A7CF}\u{A7D3}\u{A7D5}\u{A7DB}\u{19B}\u{10D70}\u{10D71}\u{10D72}\u{10D73}" +
  "\u{10D74}\u{10D75}\u{10D76}\u{10D77}\u{10D78}\u{10D79}\u{10D7A}\u{10D7B}\u{10D7C}\u{10D7D}\u{10D7E}\u{10D7F}" +
  "\u{10D80}\u{10D81}\u{10D82}\u{10D83}\u{10D84}\u{10D85}\u{16EBB}\u{16EBC}\u{16EBD}\u{16EBE}\u{16EBF}\u{16EC0}" +
  "\u{16EC1}\u{16EC2}\u{16EC3}\u{16EC4}\u{16EC5}\u{16EC6}\u{16EC7}\u{16EC8}\u{16EC9}\u{16ECA}\u{16ECB}\u{16ECC}" +
  "\u{16ECD}\u{16ECE}\u{16ECF}\u{16ED0}\u{16ED1}\u{16ED2}\u{16ED3}";

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/**
 * Whether text is ASCII, where DuckDB's lower() is JavaScript's toLowerCase: its UTF-8 bytes (strlen) are as many as its
 * code points (length), a fifth of a regex test's cost.
 */
export function isAscii(s: string): string {
  return `strlen(${s}) = length(${s})`;
}

/** The macro `pql_lower(s)`; ASCII text (identity namespaces, most data) skips the rewrites, which cost ten times lower(). */
export const PQL_LOWER_MACRO =
  `CREATE OR REPLACE TEMP MACRO pql_lower(s) AS CASE WHEN ${isAscii("s")} THEN lower(s) ELSE lower(translate(regexp_replace(replace(s, '\u0130', 'i\u0307'), ` +
  `${quote(`([${CASED}][${CASE_IGNORABLE}]*)Σ([${CASE_IGNORABLE}]*(?:[^${CASED}${CASE_IGNORABLE}]|$))`)}, '\\1ς\\2', 'g'), ` +
  `${quote(NEWER_UPPER)}, ${quote(NEWER_LOWER)})) END`;
