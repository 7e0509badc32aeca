/**
 * The string formats XDM fields declare besides date and date-time: email (RFC 5321's mailbox: a dot-atom local
 * part, a host name or an address literal), uri (RFC 3986: a scheme, then only URI characters and
 * percent-escapes) and uri-reference (the same without the scheme). Every check is a bounded scan or a regex
 * without nested repetition, so a value of any length is checked in linear time.
 */
import type { XdmStringFormat } from "./xdm-type.js";

/** RFC 5321's limits: 64 characters of local part, 254 of address (a path of 256 with its brackets). */
const MAX_LOCAL_PART = 64;
const MAX_EMAIL = 254;
const ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$/;
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const ADDRESS_LITERAL = /^\[(?:\d{1,3}\.){3}\d{1,3}\]$/;

function isEmail(s: string): boolean {
  if (s.length > MAX_EMAIL) return false;
  const at = s.lastIndexOf("@");
  if (at < 1 || at > MAX_LOCAL_PART) return false;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (!local.split(".").every((atom) => ATOM.test(atom))) return false;
  if (ADDRESS_LITERAL.test(domain)) return domain.slice(1, -1).split(".").every((n) => Number(n) <= 255);
  return domain.split(".").every((label) => HOST_LABEL.test(label));
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
/** A character RFC 3986 never allows in a URI (unreserved, reserved and '%' are the allowed ones). */
const NOT_URI_CHARACTER = /[^A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]/;
const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;

const isUriReference = (s: string): boolean => !NOT_URI_CHARACTER.test(s) && !BAD_ESCAPE.test(s);

const CHECKS: Readonly<Record<XdmStringFormat, (s: string) => boolean>> = {
  email: isEmail,
  uri: (s) => SCHEME.test(s) && isUriReference(s),
  "uri-reference": isUriReference,
};

/** What a value of each format is, for messages ("an email address"). */
export const FORMAT_NAMES: Readonly<Record<XdmStringFormat, string>> = {
  email: "an email address",
  uri: "an absolute URI (RFC 3986)",
  "uri-reference": "a URI reference (RFC 3986)",
};

/** Whether `s` is a value of `format`. */
export function hasFormat(s: string, format: XdmStringFormat): boolean {
  return CHECKS[format](s);
}
