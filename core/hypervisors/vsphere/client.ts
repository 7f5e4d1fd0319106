import { LifeboatError, type ErrorCode } from '../../contract/errors';
import type { Credentials } from '../types';
import { accessDenied, hostUnreachable, outputInvalid } from '../errors';
import type { PinnedHttp } from './http';
import {
  asMoRef,
  attr,
  child,
  children,
  first,
  Many,
  moRef,
  parseXml,
  soapEnvelope,
  text,
  Typed,
  xsiType,
  type Fields,
  type MoRef,
  type XmlNode,
} from './xml';

export interface ServiceContent {
  rootFolder: MoRef;
  propertyCollector: MoRef;
  viewManager: MoRef;
  sessionManager: MoRef;
  searchIndex?: MoRef;
  fileManager?: MoRef;
  virtualDiskManager?: MoRef;
  about: { fullName: string; version: string; apiVersion: string; apiType: string; instanceUuid?: string };
}

/** A fault vSphere returned, as a typed error; `faultType` (e.g. "InvalidLogin") lets callers branch. */
export class VimFault extends LifeboatError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly faultType: string,
    fix?: string,
  ) {
    super(code, message, fix === undefined ? {} : { fix });
  }
}

export interface ObjectContent {
  obj: MoRef;
  props: Map<string, XmlNode>;
}

export interface PropertyRequest {
  type: string;
  paths: readonly string[];
}

const SESSION_COOKIE = /vmware_soap_session=("[^"]*"|[^;]*)/;
const PAGE_SIZE = 500;

/**
 * A small typed client for the vSphere Web Services API (SOAP at /sdk): log in, call methods, read
 * properties through the PropertyCollector with paging, wait for tasks. A session that expired is renewed
 * once by logging in again; if that fails the caller gets SESSION_EXPIRED.
 */
export class VimClient {
  private cookie: string | null = null;
  private content: ServiceContent | null = null;
  private soapAction = 'urn:vim25/6.5';
  /** How many times this client signed in (tests prove a silent re-login happened). */
  logins = 0;
  /** Calls sent, by method: diagnostics, and proof that paging happened. */
  readonly calls = new Map<string, number>();

  constructor(
    readonly http: PinnedHttp,
    private readonly credentials: Credentials,
    private readonly options: { relogin?: boolean; taskPollMs?: number } = {},
  ) {}

  get label(): string {
    return `${this.http.endpoint.host}`;
  }

  get serviceContent(): ServiceContent {
    if (!this.content) throw new Error('VimClient.connect() first');
    return this.content;
  }

  get sessionCookie(): string | null {
    return this.cookie;
  }

  async connect(): Promise<ServiceContent> {
    if (!this.content) {
      const returnval = await this.send('RetrieveServiceContent', moRef('ServiceInstance', 'ServiceInstance'), []);
      this.content = parseServiceContent(returnval, this.label);
      this.soapAction = `urn:vim25/${this.content.about.apiVersion}`;
    }
    if (!this.cookie) await this.login();
    return this.content;
  }

  private async login(): Promise<void> {
    this.cookie = null;
    await this.send('Login', this.serviceContent.sessionManager, [
      ['userName', this.credentials.username],
      ['password', this.credentials.password],
    ]);
    this.logins++;
    if (!this.cookie) throw outputInvalid(this.label, 'the sign-in answer set no session cookie');
  }

  async logout(): Promise<void> {
    if (!this.cookie || !this.content) return;
    await this.send('Logout', this.content.sessionManager, []).catch(() => undefined);
    this.cookie = null;
  }

  /** Calls a method; returns its `returnval` node (undefined for void methods). */
  async call(method: string, self: MoRef, args: Fields = []): Promise<XmlNode | undefined> {
    await this.connect();
    try {
      return await this.send(method, self, args);
    } catch (error) {
      if (!(error instanceof VimFault) || error.faultType !== 'NotAuthenticated' || this.options.relogin === false) throw error;
      // The session expired (idle timeout, vCenter restart, an admin ended it): sign in again once.
      await this.login();
      try {
        return await this.send(method, self, args);
      } catch (retryError) {
        if (retryError instanceof VimFault && retryError.faultType === 'NotAuthenticated') throw sessionExpired(this.label);
        throw retryError;
      }
    }
  }

  private async send(method: string, self: MoRef, args: Fields): Promise<XmlNode | undefined> {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    const headers: Record<string, string> = { 'content-type': 'text/xml; charset=utf-8', soapaction: this.soapAction };
    if (this.cookie) headers.cookie = this.cookie;
    const response = await this.http.request('POST', '/sdk', headers, soapEnvelope(method, self, args));
    const setCookie = [response.headers['set-cookie'] ?? []]
      .flat()
      .map((c) => SESSION_COOKIE.exec(c)?.[0])
      .find(Boolean);
    if (setCookie) this.cookie = setCookie;
    return parseSoapResponse(response.status, response.body.toString('utf8'), method, this.label);
  }

  /** Reads properties of many objects through the PropertyCollector, page by page. */
  async retrieve(objectSet: Fields, requests: readonly PropertyRequest[]): Promise<ObjectContent[]> {
    const pc = (await this.connect()).propertyCollector;
    const specSet: Fields = [
      [
        'propSet',
        new Many(
          requests.map(
            (r) =>
              [
                ['type', r.type],
                ['pathSet', new Many([...r.paths])],
              ] as Fields,
          ),
        ),
      ],
      ['objectSet', objectSet],
    ];
    const results: ObjectContent[] = [];
    let page = await this.call('RetrievePropertiesEx', pc, [
      ['specSet', specSet],
      ['options', [['maxObjects', PAGE_SIZE]]],
    ]);
    for (;;) {
      for (const object of children(page, 'objects')) results.push(parseObjectContent(object, this.label));
      const token = text(page, 'token');
      if (!token) break;
      page = await this.call('ContinueRetrievePropertiesEx', pc, [['token', token]]);
    }
    return results;
  }

  /** Properties of one object; missing properties are absent from the map. */
  async properties(ref: MoRef, paths: readonly string[]): Promise<Map<string, XmlNode>> {
    const found = await this.retrieve(
      [
        ['obj', ref],
        ['skip', false],
      ],
      [{ type: ref.type, paths }],
    );
    return found[0]?.props ?? new Map();
  }

  /** Every object of the given types below the root folder, through a ContainerView (destroyed after). */
  async inventory(types: readonly PropertyRequest[]): Promise<ObjectContent[]> {
    const content = await this.connect();
    const view = asMoRef(
      await this.call('CreateContainerView', content.viewManager, [
        ['container', content.rootFolder],
        ['type', new Many(types.map((t) => t.type))],
        ['recursive', true],
      ]),
    );
    if (!view) throw outputInvalid(this.label, 'CreateContainerView returned no view');
    try {
      return await this.retrieve(
        [
          ['obj', view],
          ['skip', true],
          [
            'selectSet',
            new Typed('TraversalSpec', [
              ['name', 'view'],
              ['type', 'ContainerView'],
              ['path', 'view'],
              ['skip', false],
            ]),
          ],
        ],
        types,
      );
    } finally {
      await this.call('DestroyView', view).catch(() => undefined);
    }
  }

  /** Waits for a task to finish; returns its result node, or throws its fault as a VimFault. */
  async waitForTask(task: MoRef, timeoutMs = 60 * 60_000): Promise<XmlNode | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const info = (await this.properties(task, ['info'])).get('info');
      const state = text(info, 'state');
      if (state === 'success') return first(info, 'result');
      if (state === 'error') {
        const error = first(info, 'error');
        const fault = first(error, 'fault');
        const faultType = xsiType(fault) ?? 'Fault';
        const message = text(error, 'localizedMessage') || faultType;
        throw faultToError(faultType, message, this.label);
      }
      if (state === undefined) throw outputInvalid(this.label, `task ${task.value} has no state`);
      if (Date.now() > deadline)
        throw new LifeboatError(
          'CONFLICT',
          `A vSphere task (${task.value}) is still running after ${Math.round(timeoutMs / 60_000)} minutes.`,
          { fix: 'Look at the task in the vSphere Client; Lifeboat stopped waiting for it.' },
        );
      await new Promise((resolve) => setTimeout(resolve, this.options.taskPollMs ?? 200));
    }
  }
}

export function parseSoapResponse(status: number, body: string, method: string, label: string): XmlNode | undefined {
  let doc: XmlNode;
  try {
    doc = parseXml(body);
  } catch (error) {
    throw badResponse(status, body, label, error);
  }
  const envelope = first(doc, 'Envelope');
  const soapBody = first(envelope, 'Body');
  if (soapBody === undefined) throw badResponse(status, body, label);
  const fault = first(soapBody, 'Fault');
  if (fault !== undefined) throw parseFault(fault, label);
  if (status !== 200) throw badResponse(status, body, label);
  const response = first(soapBody, `${method}Response`);
  if (response === undefined) throw outputInvalid(label, `the answer to ${method} has no ${method}Response`);
  return first(response, 'returnval');
}

function badResponse(status: number, body: string, label: string, cause?: unknown): LifeboatError {
  if (status === 0 || status >= 500 || status === 404) {
    const hint = status === 404 ? 'there is no vSphere API at /sdk' : `it answered HTTP ${status} without a SOAP message`;
    return hostUnreachable(
      label,
      hint,
      'Check that the address is an ESXi host or vCenter Server and that its services are running (vCenter takes minutes to start).',
      cause,
    );
  }
  return outputInvalid(label, `HTTP ${status} with a body that is not a SOAP message (${body.slice(0, 80).replace(/\s+/g, ' ')}…)`, cause);
}

/** A SOAP fault → typed error. A fault Lifeboat cannot read is itself a typed error, never a crash. */
export function parseFault(fault: XmlNode, label: string): LifeboatError {
  const faultString = text(fault, 'faultstring');
  const detail = first(fault, 'detail');
  if (faultString === undefined) return outputInvalid(label, 'a SOAP fault without a faultstring');
  let faultType = 'Fault';
  if (detail !== undefined && typeof detail !== 'string') {
    const name = Object.keys(detail).find((k) => !k.startsWith('@_') && k !== '#text');
    const node = name ? (child(detail, name) as XmlNode) : undefined;
    faultType = xsiType(Array.isArray(node) ? node[0] : node) ?? name?.replace(/^.*:/, '').replace(/Fault$/, '') ?? 'Fault';
    const objectType = attr(first(Array.isArray(node) ? node[0] : node, 'obj'), 'type');
    if (faultType === 'ManagedObjectNotFound' && objectType) faultType = `ManagedObjectNotFound:${objectType}`;
  }
  return faultToError(faultType.replace(/^vim25:/, ''), faultString, label);
}

export function faultToError(faultType: string, message: string, label: string): VimFault {
  const base = faultType.split(':')[0]!;
  switch (base) {
    case 'InvalidLogin': {
      const denied = accessDenied(label, 'wrong user name or password');
      return new VimFault('ACCESS_DENIED', denied.message, base, denied.fix);
    }
    case 'NoPermission':
      return new VimFault(
        'ACCESS_DENIED',
        `${label} refused: the account lacks a privilege (${message}).`,
        base,
        'Give the account the Lifeboat role (VirtualMachine.State.CreateSnapshot, Datastore.Browse, VirtualMachine.Inventory.*) on the VMs and datastores.',
      );
    case 'NotAuthenticated':
      return new VimFault(
        'SESSION_EXPIRED',
        `The session with ${label} is no longer valid (${message || 'not authenticated'}).`,
        base,
        "Lifeboat signs in again on the next attempt; if this repeats, check the host's session timeout and that the account is not locked.",
      );
    case 'ManagedObjectNotFound':
      return new VimFault(
        faultType.endsWith('VirtualMachine') ? 'VM_NOT_FOUND' : 'NOT_FOUND',
        `${label}: ${message}.`,
        base,
        'The object was removed or renamed: run discovery again.',
      );
    default:
      return new VimFault(
        'CONFLICT',
        `${label} refused the request: ${message} (${base}).`,
        base,
        'Look at the event in the vSphere Client for the reason, fix it there, then try again.',
      );
  }
}

function sessionExpired(label: string): LifeboatError {
  return new VimFault(
    'SESSION_EXPIRED',
    `The session with ${label} expired and signing in again did not restore it.`,
    'NotAuthenticated',
    'Check that the account is not locked or its password changed (edit the host to enter it again), then retry.',
  );
}

function parseServiceContent(node: XmlNode | undefined, label: string): ServiceContent {
  const ref = (name: string): MoRef => {
    const value = asMoRef(first(node, name));
    if (!value) throw outputInvalid(label, `ServiceContent has no ${name}`);
    return value;
  };
  const about = first(node, 'about');
  const optional = (name: string): MoRef | undefined => asMoRef(first(node, name));
  return {
    rootFolder: ref('rootFolder'),
    propertyCollector: ref('propertyCollector'),
    viewManager: ref('viewManager'),
    sessionManager: ref('sessionManager'),
    searchIndex: optional('searchIndex'),
    fileManager: optional('fileManager'),
    virtualDiskManager: optional('virtualDiskManager'),
    about: {
      fullName: text(about, 'fullName') ?? 'VMware vSphere',
      version: text(about, 'version') ?? '',
      apiVersion: text(about, 'apiVersion') ?? '6.5',
      apiType: text(about, 'apiType') ?? '',
      instanceUuid: text(about, 'instanceUuid'),
    },
  };
}

function parseObjectContent(node: XmlNode, label: string): ObjectContent {
  const obj = asMoRef(first(node, 'obj'));
  if (!obj) throw outputInvalid(label, 'a property answer without its object');
  const props = new Map<string, XmlNode>();
  for (const prop of children(node, 'propSet')) {
    const name = text(prop, 'name');
    const val = first(prop, 'val');
    if (name !== undefined && val !== undefined) props.set(name, val);
  }
  return { obj, props };
}
