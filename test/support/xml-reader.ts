/**
 * A strict reader of the XML the JUnit report uses (declaration, comments, elements, attributes,
 * text, the five entities and numeric references), so tests read the document as a CI system
 * would instead of matching strings. It throws on anything not well-formed: mismatched or
 * unclosed tags, a raw "<" or "&", duplicate attributes, characters XML 1.0 forbids, "--" in a
 * comment. Not a general parser (no DTD, CDATA or processing instructions besides the declaration).
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.-]*/;
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: number): string {
  if (FORBIDDEN.test(raw)) throw new Error(`forbidden character near ${where}`);
  if (raw.includes('<')) throw new Error(`raw "<" near ${where}`);
  return raw.replace(/&([^;]*);|&/g, (whole, ref: string | undefined) => {
    if (ref === undefined) throw new Error(`raw "&" near ${where}`);
    if (ref in ENTITIES) return ENTITIES[ref];
    const code = /^#x([0-9a-f]+)$/i.exec(ref)?.[1];
    const n = code ? parseInt(code, 16) : /^#(\d+)$/.exec(ref) ? Number(ref.slice(1)) : NaN;
    const allowed = n === 9 || n === 10 || n === 13 || (n >= 0x20 && n <= 0xd7ff) || (n >= 0xe000 && n <= 0x10ffff);
    if (!allowed || n === 0xfffe || n === 0xffff) throw new Error(`bad reference ${whole} near ${where}`);
    return String.fromCodePoint(n);
  });
}

export function readXml(doc: string): XmlElement {
  let i = 0;
  const skipMisc = () => {
    for (;;) {
      const ws = /^\s*/.exec(doc.slice(i))![0].length;
      i += ws;
      if (doc.startsWith('<!--', i)) {
        const end = doc.indexOf('-->', i + 4);
        if (end < 0) throw new Error('unclosed comment');
        const body = doc.slice(i + 4, end);
        if (body.includes('--') || body.endsWith('-')) throw new Error(`"--" in a comment at ${i}`);
        i = end + 3;
      } else return;
    }
  };
  if (doc.startsWith('<?xml')) {
    const end = doc.indexOf('?>');
    if (end < 0) throw new Error('unclosed declaration');
    i = end + 2;
  }
  skipMisc();

  const element = (): XmlElement => {
    if (doc[i] !== '<') throw new Error(`expected an element at ${i}`);
    i++;
    const name = NAME.exec(doc.slice(i))?.[0];
    if (!name) throw new Error(`bad element name at ${i}`);
    i += name.length;
    const el: XmlElement = { name, attributes: {}, children: [], text: '' };
    for (;;) {
      const ws = /^\s*/.exec(doc.slice(i))![0].length;
      i += ws;
      if (doc.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (doc[i] === '>') {
        i++;
        break;
      }
      if (ws === 0) throw new Error(`expected whitespace before an attribute at ${i}`);
      const attr = NAME.exec(doc.slice(i))?.[0];
      if (!attr) throw new Error(`bad attribute name at ${i}`);
      i += attr.length;
      const m = /^\s*=\s*(["'])/.exec(doc.slice(i));
      if (!m) throw new Error(`attribute ${attr} without a quoted value at ${i}`);
      i += m[0].length;
      const end = doc.indexOf(m[1], i);
      if (end < 0) throw new Error(`unclosed attribute ${attr}`);
      if (attr in el.attributes) throw new Error(`duplicate attribute ${attr} at ${i}`);
      el.attributes[attr] = decode(doc.slice(i, end), i);
      i = end + 1;
    }
    for (;;) {
      const next = doc.indexOf('<', i);
      if (next < 0) throw new Error(`unclosed element ${name}`);
      el.text += decode(doc.slice(i, next), i);
      i = next;
      if (doc.startsWith('</', i)) {
        const close = `</${name}`;
        if (!doc.startsWith(close, i)) throw new Error(`mismatched end tag at ${i}, expected ${close}>`);
        i += close.length;
        const m = /^\s*>/.exec(doc.slice(i));
        if (!m) throw new Error(`bad end tag at ${i}`);
        i += m[0].length;
        return el;
      }
      if (doc.startsWith('<!--', i)) skipMisc();
      else el.children.push(element());
    }
  };
  const root = element();
  skipMisc();
  if (i !== doc.length) throw new Error(`content after the root element at ${i}`);
  return root;
}

/** Every descendant element with this name, in document order. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  return el.children.flatMap((c) => [...(c.name === name ? [c] : []), ...findAll(c, name)]);
}
