import { XMLParser } from 'fast-xml-parser';

/**
 * SOAP bodies for the vSphere API are built from values, never from strings: every text and attribute
 * goes through `escapeXml`. Order matters to vSphere (it follows the WSDL's sequence), so fields are
 * ordered pairs.
 */
export type XmlValue = string | number | boolean | MoRef | Typed | Many | Fields;
export type Fields = readonly (readonly [string, XmlValue | undefined | null])[];

/** A repeated element (vSphere arrays are sequences of same-named elements). */
export class Many {
  constructor(readonly items: readonly XmlValue[]) {}
}

/** A managed object reference: `<name type="VirtualMachine">vm-42</name>`. */
export interface MoRef {
  readonly type: string;
  readonly value: string;
}

/** A value of a derived type: `<name xsi:type="VirtualDisk">…</name>`. */
export class Typed {
  constructor(
    readonly xsiType: string,
    readonly fields: Fields,
  ) {}
}

export function moRef(type: string, value: string): MoRef {
  return { type, value };
}

function isMoRef(value: unknown): value is MoRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Typed) &&
    !(value instanceof Many) &&
    'type' in value &&
    'value' in value
  );
}

export function escapeXml(text: string): string {
  // Characters XML 1.0 cannot carry at all are dropped rather than sent as an invalid document.
  return (
    text
      // eslint-disable-next-line no-control-regex -- exactly the characters XML 1.0 forbids
      .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/g, '')
      .replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[ch]!)
  );
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function element(name: string, value: XmlValue): string {
  if (!NAME.test(name)) throw new RangeError(`Not an XML element name: ${name}`);
  if (value instanceof Many) return value.items.map((item) => element(name, item)).join('');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    return `<${name}>${escapeXml(String(value))}</${name}>`;
  }
  if (value instanceof Typed) {
    return `<${name} xsi:type="${escapeXml(value.xsiType)}">${fields(value.fields)}</${name}>`;
  }
  if (isMoRef(value)) return `<${name} type="${escapeXml(value.type)}">${escapeXml(value.value)}</${name}>`;
  return `<${name}>${fields(value as Fields)}</${name}>`;
}

function fields(list: Fields): string {
  return list
    .filter((entry): entry is readonly [string, XmlValue] => entry[1] !== undefined && entry[1] !== null)
    .map(([name, value]) => element(name, value))
    .join('');
}

/** One vim25 method call: `<Method xmlns="urn:vim25"><_this type="…">…</_this>…</Method>` in an envelope. */
export function soapEnvelope(methodName: string, self: MoRef, args: Fields): string {
  if (!NAME.test(methodName)) throw new RangeError(`Not a method name: ${methodName}`);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">' +
    `<soapenv:Body><${methodName} xmlns="urn:vim25">${element('_this', self)}${fields(args)}</${methodName}></soapenv:Body></soapenv:Envelope>`
  );
}

/** A parsed XML node: text stays text (no number guessing), attributes are `@_name`. */
export type XmlNode = { [key: string]: XmlNode | XmlNode[] | string | undefined } | string;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: false,
});

export function parseXml(text: string): XmlNode {
  return parser.parse(text) as XmlNode;
}

/** The child called `local`, whatever namespace prefix the server chose. */
export function child(node: XmlNode | undefined, local: string): XmlNode | XmlNode[] | undefined {
  if (node === undefined || typeof node === 'string') return undefined;
  if (local in node) return node[local] as XmlNode | XmlNode[];
  const key = Object.keys(node).find((k) => k.endsWith(`:${local}`));
  return key === undefined ? undefined : (node[key] as XmlNode | XmlNode[]);
}

export function children(node: XmlNode | undefined, local: string): XmlNode[] {
  const found = child(node, local);
  return found === undefined ? [] : Array.isArray(found) ? found : [found];
}

export function first(node: XmlNode | undefined, local: string): XmlNode | undefined {
  const found = child(node, local);
  return Array.isArray(found) ? found[0] : found;
}

/** Text content of a node (or of its child `local`). */
export function text(node: XmlNode | undefined, local?: string): string | undefined {
  const target = local === undefined ? node : first(node, local);
  if (target === undefined) return undefined;
  if (typeof target === 'string') return target;
  const value = target['#text'];
  return typeof value === 'string' ? value : Object.keys(target).every((k) => k.startsWith('@_')) ? '' : undefined;
}

export function attr(node: XmlNode | undefined, name: string): string | undefined {
  if (node === undefined || typeof node === 'string') return undefined;
  const value = node[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

/** xsi:type, whatever prefix the server bound the XMLSchema-instance namespace to (Go's encoder uses its own). */
export function xsiType(node: XmlNode | undefined): string | undefined {
  if (node === undefined || typeof node === 'string') return undefined;
  const key = Object.keys(node).find((k) => k.startsWith('@_') && k.endsWith(':type'));
  const value = key === undefined ? undefined : node[key];
  return typeof value === 'string' ? value.replace(/^[^:]*:/, '') : undefined;
}

export function asMoRef(node: XmlNode | undefined): MoRef | undefined {
  const type = attr(node, 'type');
  const value = text(node);
  return type !== undefined && value !== undefined ? { type, value } : undefined;
}

/**
 * A value read from vSphere, turned back into something `soapEnvelope` can send (edit a device: send what
 * the server described, with a few fields replaced). Field order is the server's, which follows the WSDL.
 */
export function toXmlValue(node: XmlNode, replace: Record<string, XmlValue> = {}): XmlValue {
  if (typeof node === 'string') return node;
  const type = xsiType(node);
  const ref = attr(node, 'type');
  if (ref !== undefined && typeof node['#text'] === 'string') return moRef(ref, node['#text']);
  const fields: [string, XmlValue][] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('@_') || key === '#text' || value === undefined) continue;
    if (key in replace) continue;
    fields.push([key, Array.isArray(value) ? new Many(value.map((item) => toXmlValue(item))) : toXmlValue(value)]);
  }
  for (const [key, value] of Object.entries(replace)) fields.push([key, value]);
  return type ? new Typed(type, fields) : fields;
}
