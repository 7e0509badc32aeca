/**
 * Word lists for realistic values: names per country (with the ASCII spelling used in e-mail addresses),
 * cities with ISO 3166-2 subdivision codes and postal-code patterns, e-mail domains, a product catalog,
 * browsers and pages. Plain data; no randomness here.
 */

export type CountryCode = "US" | "CA" | "GB" | "FR" | "DE" | "JP";

/** A name as written, and its ASCII form for e-mail local parts (`"Zoë|zoe"` → Zoë / zoe). */
export interface NameEntry {
  readonly display: string;
  readonly ascii: string;
  readonly gender?: "male" | "female";
}

/** Strips diacritics and maps the letters NFD cannot decompose. */
export function asciiFold(text: string): string {
  const special: Record<string, string> = { ø: "o", Ø: "O", ß: "ss", æ: "ae", Æ: "AE", œ: "oe", Œ: "OE", ł: "l", Ł: "L" };
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[øØßæÆœŒłŁ]/g, (c) => special[c] ?? c);
}

function names(spec: string, gender?: "male" | "female"): NameEntry[] {
  return spec.split(",").map((raw) => {
    const [display, ascii] = raw.trim().split("|") as [string, string | undefined];
    const base: NameEntry = { display, ascii: (ascii ?? asciiFold(display)).toLowerCase().replace(/[^a-z]/g, "") };
    return gender === undefined ? base : { ...base, gender };
  });
}

export interface CountryVocab {
  readonly code: CountryCode;
  readonly name: string;
  readonly weight: number;
  readonly female: readonly NameEntry[];
  readonly male: readonly NameEntry[];
  readonly last: readonly NameEntry[];
  readonly cities: readonly City[];
  readonly streets: readonly string[];
  /** Street line from a house number and a street name. */
  readonly street: (num: number, street: string) => string;
  /** Country-specific mail providers (used next to COMMON_DOMAINS). */
  readonly domains: readonly string[];
  readonly phonePrefix: string;
}

export interface City {
  readonly city: string;
  readonly stateProvince: string;
  /** Postal-code pattern: `#` = digit, `@` = letter, anything else literal. */
  readonly postal: string;
  /** Street names for this city, when the country's list does not fit (e.g. French names in Québec). */
  readonly streets?: readonly string[];
}

const QC_STREETS: readonly string[] = ["rue Sainte-Catherine", "boul. Saint-Laurent", "rue Saint-Denis", "avenue du Parc", "rue Saint-Jean"];

/** Webmail domains used everywhere, with relative weights. */
export const COMMON_DOMAINS: readonly (readonly [string, number])[] = [
  ["gmail.com", 40],
  ["outlook.com", 12],
  ["yahoo.com", 10],
  ["icloud.com", 10],
  ["protonmail.com", 3],
];
/** University domains (`.edu`): students and staff, mostly but not only in North America. */
export const EDU_DOMAINS: readonly string[] = ["stanford.edu", "mit.edu", "umich.edu", "utexas.edu", "berkeley.edu", "nyu.edu"];
/** The reserved example domain: test and placeholder accounts. */
export const EXAMPLE_DOMAIN = "example.com";

export const COUNTRIES: readonly CountryVocab[] = [
  {
    code: "US",
    name: "United States",
    weight: 45,
    female: names("Elizabeth,Jennifer,Katherine,Margaret,Emily,Olivia,Zoë,Sofía,Ava,Mia,Chloe,Madison,Abigail,Grace", "female"),
    male: names("Robert,William,Michael,James,Daniel,Christopher,Jonathan,Alexander,José,Liam,Noah,Ethan,Tyler,Andrew", "male"),
    last: names("Smith,Johnson,Williams,Brown,García,Martinez,Nguyen,Lee,O'Brien,Miller,Davis,Rodríguez,Chen,Patel,Kim,Wilson,Anderson,Taylor"),
    cities: [
      { city: "San Jose", stateProvince: "US-CA", postal: "951##" },
      { city: "San Francisco", stateProvince: "US-CA", postal: "941##" },
      { city: "New York", stateProvince: "US-NY", postal: "100##" },
      { city: "Chicago", stateProvince: "US-IL", postal: "606##" },
      { city: "Austin", stateProvince: "US-TX", postal: "787##" },
      { city: "Seattle", stateProvince: "US-WA", postal: "981##" },
      { city: "Boston", stateProvince: "US-MA", postal: "021##" },
      { city: "Denver", stateProvince: "US-CO", postal: "802##" },
      { city: "Miami", stateProvince: "US-FL", postal: "331##" },
      { city: "Portland", stateProvince: "US-OR", postal: "972##" },
    ],
    streets: ["Main St", "Park Ave", "Oak St", "Maple Ave", "Elm St", "Washington Blvd", "Lakeview Dr", "Sunset Blvd", "Pine St", "2nd Ave"],
    street: (n, s) => `${n} ${s}`,
    domains: ["aol.com", "comcast.net", "hotmail.com"],
    phonePrefix: "+1",
  },
  {
    code: "CA",
    name: "Canada",
    weight: 12,
    female: names("Chloé,Léa,Emma,Olivia,Charlotte,Zoë,Amélie,Margaret,Elizabeth,Sarah", "female"),
    male: names("Émile,Gabriel,Mathieu,Liam,William,Robert,Thomas,Étienne,Noah,Alexander", "male"),
    last: names("Tremblay,Gagnon,Roy,Côté,Bouchard,Wilson,MacDonald,Smith,Lévesque,Chen|chen,Singh,Martin"),
    cities: [
      { city: "Toronto", stateProvince: "CA-ON", postal: "M#@ #@#" },
      { city: "Montréal", stateProvince: "CA-QC", postal: "H#@ #@#", streets: QC_STREETS },
      { city: "Vancouver", stateProvince: "CA-BC", postal: "V#@ #@#" },
      { city: "Calgary", stateProvince: "CA-AB", postal: "T#@ #@#" },
      { city: "Ottawa", stateProvince: "CA-ON", postal: "K#@ #@#" },
      { city: "Québec", stateProvince: "CA-QC", postal: "G#@ #@#", streets: QC_STREETS },
    ],
    streets: ["Queen St W", "Yonge St", "Robson St", "King St E", "Bank St", "Jasper Ave", "Bloor St W"],
    street: (n, s) => `${n} ${s}`,
    domains: ["videotron.ca", "rogers.com", "sympatico.ca"],
    phonePrefix: "+1",
  },
  {
    code: "GB",
    name: "United Kingdom",
    weight: 15,
    female: names("Amelia,Isla,Charlotte,Elizabeth,Margaret,Zoë,Olivia,Poppy,Katherine,Freya", "female"),
    male: names("Oliver,George,Harry,William,Robert,James,Thomas,Alfie,Michael,Arthur", "male"),
    last: names("Smith,Jones,Taylor,Brown,Wilson,Evans,Thomas,Roberts,O'Connor,Patel,Walker,Wright"),
    cities: [
      { city: "London", stateProvince: "GB-LND", postal: "SW# #@@" },
      { city: "Manchester", stateProvince: "GB-MAN", postal: "M## #@@" },
      { city: "Edinburgh", stateProvince: "GB-EDH", postal: "EH# #@@" },
      { city: "Bristol", stateProvince: "GB-BST", postal: "BS# #@@" },
      { city: "Leeds", stateProvince: "GB-LDS", postal: "LS# #@@" },
      { city: "Cardiff", stateProvince: "GB-CRF", postal: "CF## #@@" },
    ],
    streets: ["High Street", "Station Road", "Church Lane", "Victoria Road", "Park Road", "Queen's Road", "Mill Lane"],
    street: (n, s) => `${n} ${s}`,
    domains: ["btinternet.com", "hotmail.co.uk", "sky.com"],
    phonePrefix: "+44",
  },
  {
    code: "FR",
    name: "France",
    weight: 10,
    female: names("Chloé,Léa,Camille,Inès,Zoë,Hélène,Manon,Élodie,Margaux,Anaïs", "female"),
    male: names("Émile,Louis,Hugo,Théo,Jérôme,Lucas,François,Mathis,Nicolas,Raphaël", "male"),
    last: names("Martin,Bernard,Dubois,Thomas,Robert,Petit,Durand,Lefèvre,Moreau,Girard,Mercier,Faure"),
    cities: [
      { city: "Paris", stateProvince: "FR-IDF", postal: "7500#" },
      { city: "Lyon", stateProvince: "FR-ARA", postal: "6900#" },
      { city: "Marseille", stateProvince: "FR-PAC", postal: "130##" },
      { city: "Toulouse", stateProvince: "FR-OCC", postal: "310##" },
      { city: "Nantes", stateProvince: "FR-PDL", postal: "440##" },
      { city: "Lille", stateProvince: "FR-HDF", postal: "590##" },
    ],
    streets: ["rue de Rivoli", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard Voltaire", "rue de la République", "place Bellecour"],
    street: (n, s) => `${n} ${s}`,
    domains: ["orange.fr", "free.fr", "laposte.net"],
    phonePrefix: "+33",
  },
  {
    code: "DE",
    name: "Germany",
    weight: 10,
    female: names("Sophie,Marie,Anna,Mia,Hannah,Lena,Jülide,Zoë,Greta,Katharina", "female"),
    male: names("Lukas,Jonas,Leon,Jürgen,Søren,Günter,Maximilian,Felix,Paul,Björn", "male"),
    last: names("Müller|mueller,Schmidt,Schneider,Fischer,Weber,Meyer,Wagner,Becker,Schäfer|schaefer,Köhler|koehler,Hoffmann,Krüger|krueger"),
    cities: [
      { city: "Berlin", stateProvince: "DE-BE", postal: "10###" },
      { city: "München", stateProvince: "DE-BY", postal: "80###" },
      { city: "Hamburg", stateProvince: "DE-HH", postal: "20###" },
      { city: "Köln", stateProvince: "DE-NW", postal: "50###" },
      { city: "Frankfurt am Main", stateProvince: "DE-HE", postal: "60###" },
      { city: "Stuttgart", stateProvince: "DE-BW", postal: "70###" },
    ],
    streets: ["Hauptstraße", "Schillerstraße", "Goethestraße", "Bahnhofstraße", "Gartenweg", "Lindenallee", "Kastanienallee"],
    street: (n, s) => `${s} ${n}`,
    domains: ["gmx.de", "web.de", "t-online.de"],
    phonePrefix: "+49",
  },
  {
    code: "JP",
    name: "Japan",
    weight: 8,
    female: names("結衣|yui,陽菜|hina,葵|aoi,美咲|misaki,さくら|sakura,静|jing", "female"),
    male: names("陽翔|haruto,蓮|ren,大翔|hiroto,翔太|shota,健一|kenichi,伟|wei", "male"),
    last: names("佐藤|sato,鈴木|suzuki,高橋|takahashi,田中|tanaka,伊藤|ito,渡辺|watanabe,山本|yamamoto,中村|nakamura,陈|chen"),
    cities: [
      { city: "Tokyo", stateProvince: "JP-13", postal: "1##-####" },
      { city: "Osaka", stateProvince: "JP-27", postal: "5##-####" },
      { city: "Kyoto", stateProvince: "JP-26", postal: "6##-####" },
      { city: "Yokohama", stateProvince: "JP-14", postal: "2##-####" },
      { city: "Sapporo", stateProvince: "JP-01", postal: "06#-####" },
    ],
    streets: ["Marunouchi", "Shibuya", "Umeda", "Gion", "Minatomirai", "Odori-Nishi"],
    street: (n, s) => `${Math.max(1, n % 9)}-${(n % 17) + 1}-${(n % 23) + 1} ${s}`,
    domains: ["yahoo.co.jp", "docomo.ne.jp", "ezweb.ne.jp"],
    phonePrefix: "+81",
  },
];

/** Formal first name → the nickname another system may hold for the same person. */
export const NICKNAMES: Readonly<Record<string, string>> = {
  Robert: "Bob",
  William: "Bill",
  Elizabeth: "Liz",
  Katherine: "Kate",
  Katharina: "Kathi",
  Margaret: "Maggie",
  Michael: "Mike",
  Jennifer: "Jen",
  James: "Jim",
  Daniel: "Dan",
  Christopher: "Chris",
  Jonathan: "Jon",
  Alexander: "Alex",
  Thomas: "Tom",
  Maximilian: "Max",
  Nicolas: "Nico",
  Abigail: "Abby",
  Andrew: "Andy",
};

export interface Product {
  readonly sku: string;
  readonly name: string;
  readonly category: string;
  /** Unit price in USD. */
  readonly price: number;
}

export const PRODUCTS: readonly Product[] = [
  { sku: "LT-1001", name: "UltraBook Pro 14", category: "laptops", price: 1299.0 },
  { sku: "LT-1002", name: "UltraBook Air 13", category: "laptops", price: 899.0 },
  { sku: "LT-1003", name: "GameForce 16 Laptop", category: "laptops", price: 1549.99 },
  { sku: "TV-2001", name: "55\" 4K OLED TV", category: "tv", price: 1199.0 },
  { sku: "TV-2002", name: "43\" Smart LED TV", category: "tv", price: 329.99 },
  { sku: "PH-3001", name: "Pixelon 9 Smartphone", category: "phones", price: 699.0 },
  { sku: "PH-3002", name: "Pixelon 9 Lite", category: "phones", price: 399.0 },
  { sku: "AU-4001", name: "Noise-Cancelling Headphones", category: "audio", price: 279.5 },
  { sku: "AU-4002", name: "Wireless Earbuds", category: "audio", price: 129.0 },
  { sku: "AU-4003", name: "Bluetooth Speaker Mini", category: "audio", price: 49.99 },
  { sku: "AC-5001", name: "USB-C Charger 65W", category: "accessories", price: 39.99 },
  { sku: "AC-5002", name: "Laptop Sleeve 14\"", category: "accessories", price: 24.5 },
  { sku: "AC-5003", name: "Braided USB-C Cable 2m", category: "accessories", price: 12.99 },
  { sku: "AC-5004", name: "Wireless Mouse", category: "accessories", price: 29.0 },
  { sku: "AC-5005", name: "Mechanical Keyboard", category: "accessories", price: 119.0 },
  { sku: "WR-6001", name: "Smartwatch Series 4", category: "wearables", price: 349.0 },
  { sku: "WR-6002", name: "Fitness Band", category: "wearables", price: 79.95 },
  { sku: "HM-7001", name: "Robot Vacuum", category: "home", price: 449.0 },
  { sku: "HM-7002", name: "Smart Thermostat", category: "home", price: 199.0 },
  { sku: "HM-7003", name: "LED Desk Lamp", category: "home", price: 34.99 },
  { sku: "CM-8001", name: "Mirrorless Camera Kit", category: "cameras", price: 1049.0 },
  { sku: "CM-8002", name: "Action Camera", category: "cameras", price: 249.0 },
  { sku: "GM-9001", name: "Game Console", category: "gaming", price: 499.99 },
  { sku: "GM-9002", name: "Wireless Controller", category: "gaming", price: 59.99 },
];

export const CATEGORIES: readonly string[] = [...new Set(PRODUCTS.map((p) => p.category))];

export const SITE = "https://www.northwind-electronics.example";

export interface Browser {
  readonly name: string;
  readonly versions: readonly string[];
}

export const BROWSERS: readonly (readonly [Browser, number])[] = [
  [{ name: "Chrome", versions: ["128.0.6613", "129.0.6668", "130.0.6723"] }, 55],
  [{ name: "Safari", versions: ["17.6", "18.0", "18.1"] }, 25],
  [{ name: "Firefox", versions: ["130.0", "131.0.3", "132.0"] }, 8],
  [{ name: "Edge", versions: ["129.0.2792", "130.0.2849"] }, 9],
  [{ name: "Samsung Internet", versions: ["25.0", "26.0"] }, 3],
];

export const DEVICE_TYPES: readonly (readonly ["desktop" | "mobile" | "tablet", number])[] = [
  ["desktop", 45],
  ["mobile", 45],
  ["tablet", 10],
];

export const LOYALTY_TIERS = ["bronze", "silver", "gold", "platinum"] as const;
export type LoyaltyTier = (typeof LOYALTY_TIERS)[number];

/** Plain words for string fields that name nothing the person model knows (`word` generator, string defaults). */
export const WORDS: readonly string[] = [
  "amber", "atlas", "birch", "cobalt", "coral", "delta", "ember", "falcon", "garnet", "harbor",
  "indigo", "jasper", "juniper", "kestrel", "lagoon", "maple", "meadow", "nova", "onyx", "orchid",
  "pebble", "quartz", "raven", "saffron", "sierra", "summit", "tundra", "umber", "violet", "willow",
];
