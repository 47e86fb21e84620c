import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * Reads an XML document (the JUnit report) as a CI system would, instead of matching strings:
 * fast-xml-parser validates it (tags, attributes, entities) and gives its tree, here as plain
 * elements. On top, the characters XML 1.0 forbids are refused, which the validator lets through.
 */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const FORBIDDEN =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|&#(x0*[0-8bcef]|x0*1[0-9a-f]|0*([0-8]|1[124-9]|2[0-9]|3[01]));/i;

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  commentPropName: '#comment',
  // numeric character references (&#10; in attributes and text) decoded too
  htmlEntities: true,
});

function toElement(node: OrderedNode): XmlElement | undefined {
  const name = Object.keys(node).find((k) => k !== ':@');
  if (!name || name.startsWith('#') || name.startsWith('?')) return undefined;
  const el: XmlElement = { name, attributes: { ...(node[':@'] ?? {}) }, children: [], text: '' };
  for (const child of node[name] as OrderedNode[]) {
    if ('#text' in child) el.text += String(child['#text']);
    else {
      const c = toElement(child);
      if (c) el.children.push(c);
    }
  }
  return el;
}

/** The root element; throws when the document is not well-formed XML 1.0. */
export function readXml(doc: string): XmlElement {
  const valid = XMLValidator.validate(doc);
  if (valid !== true) throw new Error(`not well-formed: ${valid.err.msg} (line ${valid.err.line})`);
  const bad = FORBIDDEN.exec(doc);
  if (bad) throw new Error(`forbidden character at ${bad.index}`);
  const roots = (parser.parse(doc) as OrderedNode[]).map(toElement).filter((e): e is XmlElement => !!e);
  if (roots.length !== 1) throw new Error(`expected one root element, found ${roots.length}`);
  return roots[0];
}

/** Every descendant element with this name, in document order. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  return el.children.flatMap((c) => [...(c.name === name ? [c] : []), ...findAll(c, name)]);
}
