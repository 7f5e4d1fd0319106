import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LifeboatError } from '../../core/contract/errors';
import { mergeExtents, queryChangedAreas } from '../../core/hypervisors/vsphere/cbt';
import { parseSoapResponse, VimClient } from '../../core/hypervisors/vsphere/client';
import { PinnedHttp } from '../../core/hypervisors/vsphere/http';
import { folderUrl } from '../../core/hypervisors/vsphere/datastore';
import { parseDatastorePath } from '../../core/hypervisors/vsphere/inventory';
import { Many, moRef, parseXml, soapEnvelope, Typed, type Fields } from '../../core/hypervisors/vsphere/xml';
import { repoRoot } from '../helpers/temp';

const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'vsphere');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

function thrown(work: () => unknown): LifeboatError {
  try {
    work();
  } catch (error) {
    if (error instanceof LifeboatError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('SOAP requests are built from values, never from strings', () => {
  it('escapes every value and attribute', () => {
    const evil = `</name><Destroy_Task xmlns="urn:vim25"/>"&'`;
    const xml = soapEnvelope('CreateSnapshot_Task', moRef('VirtualMachine', 'vm-1"><x'), [
      ['name', evil],
      ['description', 'a < b & c'],
      ['quiesce', true],
      [
        'deviceChange',
        new Many([
          [
            ['operation', 'add'],
            ['device', new Typed('VirtualDisk', [['key', -101]])],
          ] as Fields,
        ]),
      ],
    ]);
    expect(xml).not.toContain('<Destroy_Task');
    const parsed = parseXml(xml) as Record<string, Record<string, Record<string, Record<string, unknown>>>>;
    const body = parsed['soapenv:Envelope']!['soapenv:Body']!['CreateSnapshot_Task']!;
    expect(body.name).toBe(evil);
    expect(body.description).toBe('a < b & c');
    expect(body._this).toEqual({ '#text': 'vm-1"><x', '@_type': 'VirtualMachine' });
    expect(xml).toContain('<device xsi:type="VirtualDisk"><key>-101</key></device>');
  });

  it('refuses element names that are not names', () => {
    expect(() => soapEnvelope('Bad Method', moRef('A', 'b'), [])).toThrow(RangeError);
    expect(() => soapEnvelope('Ok', moRef('A', 'b'), [['x><y', 'v']])).toThrow(RangeError);
  });
});

describe('SOAP answers Lifeboat cannot use become typed errors', () => {
  it('a fault without a faultstring', () => {
    const error = thrown(() => parseSoapResponse(500, fixture('fault-malformed.xml'), 'RetrievePropertiesEx', 'vc01'));
    expect(error.code).toBe('PROVIDER_OUTPUT_INVALID');
    expect(error.message).toContain('without a faultstring');
    expect(error.fix).toMatch(/support/);
  });

  it("a reverse proxy's HTML page while vCenter starts", () => {
    const error = thrown(() => parseSoapResponse(503, fixture('proxy-503.html'), 'Login', 'vc01'));
    expect(error.code).toBe('HOST_UNREACHABLE');
    expect(error.fix).toMatch(/vCenter takes minutes to start/);
  });

  it('not XML at all with HTTP 200', () => {
    const error = thrown(() => parseSoapResponse(200, 'Hello <<< world', 'Login', 'vc01'));
    expect(error.code).toBe('PROVIDER_OUTPUT_INVALID');
  });

  it('a SOAP body without the expected response', () => {
    const error = thrown(() => parseSoapResponse(200, fixture('query-changed-disk-areas-1.xml'), 'Login', 'vc01'));
    expect(error.code).toBe('PROVIDER_OUTPUT_INVALID');
    expect(error.message).toContain('LoginResponse');
  });

  it('a missing privilege names it', () => {
    const error = thrown(() => parseSoapResponse(500, fixture('fault-no-permission.xml'), 'CreateSnapshot_Task', 'vc01'));
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.fix).toMatch(/VirtualMachine\.State\.CreateSnapshot/);
  });
});

describe('Changed Block Tracking (recorded QueryChangedDiskAreas answers; the simulator has no CBT)', () => {
  const GiB = 1024 ** 3;
  function recordedClient(files: string[]): { client: Pick<VimClient, 'call'>; calls: Fields[] } {
    const calls: Fields[] = [];
    return {
      calls,
      client: {
        call: async (method, _self, args = []) => {
          calls.push(args);
          const file = files.shift();
          if (!file) throw new Error('no more recorded answers');
          return parseSoapResponse(file.startsWith('fault') ? 500 : 200, fixture(file), method, 'vc01');
        },
      },
    };
  }

  it('pages through the disk and merges adjacent areas', async () => {
    const { client, calls } = recordedClient(['query-changed-disk-areas-1.xml', 'query-changed-disk-areas-2.xml']);
    const areas = await queryChangedAreas(
      client,
      moRef('VirtualMachine', 'vm-42'),
      moRef('VirtualMachineSnapshot', 'snapshot-7'),
      2000,
      8 * GiB,
      '52 1c 9a 3e/17',
    );
    expect(areas).toEqual([
      { offset: 0, length: 65536 + 1048576 },
      { offset: GiB, length: 2 * 1024 * 1024 },
      { offset: 8 * GiB - 65536, length: 65536 },
    ]);
    expect(calls.map((args) => args.find(([name]) => name === 'startOffset')?.[1])).toEqual([0, 4 * GiB]);
    expect(calls[0]!.find(([name]) => name === 'changeId')?.[1]).toBe('52 1c 9a 3e/17');
  });

  it('answers null (read everything) when tracking was reset', async () => {
    const { client } = recordedClient(['fault-cbt-reset.xml']);
    expect(
      await queryChangedAreas(
        client,
        moRef('VirtualMachine', 'vm-42'),
        moRef('VirtualMachineSnapshot', 'snapshot-7'),
        2000,
        8 * GiB,
        'stale',
      ),
    ).toBeNull();
  });

  it('merges overlapping extents', () => {
    expect(
      mergeExtents([
        { offset: 10, length: 5 },
        { offset: 0, length: 12 },
        { offset: 30, length: 0 },
        { offset: 15, length: 1 },
      ]),
    ).toEqual([{ offset: 0, length: 16 }]);
  });
});

describe('datastore paths and /folder URLs', () => {
  it('parses "[ds] path" and escapes every segment of the URL', () => {
    expect(parseDatastorePath('[Local DS #1] SQL 01/SQL 01.vmdk')).toEqual({ datastore: 'Local DS #1', path: 'SQL 01/SQL 01.vmdk' });
    expect(parseDatastorePath('no brackets')).toBeNull();
    expect(folderUrl({ dcPath: 'Site A/DC 1', dsName: 'Local DS #1' }, 'SQL 01/a?b#c.vmdk')).toBe(
      '/folder/SQL%2001/a%3Fb%23c.vmdk?dcPath=Site+A%2FDC+1&dsName=Local+DS+%231',
    );
  });
});

describe('PropertyCollector paging (the simulator answers in one page, so a recorded vCenter answers here)', () => {
  const envelope = (body: string): string =>
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
  const objects = (from: number, to: number): string =>
    Array.from(
      { length: to - from },
      (_, i) =>
        `<objects><obj type="VirtualMachine">vm-${from + i}</obj><propSet><name>name</name><val xsi:type="xsd:string">VM ${from + i}</val></propSet></objects>`,
    ).join('');

  it('follows the token with ContinueRetrievePropertiesEx until the last page', async () => {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const method = /<soapenv:Body><([A-Za-z_]+) /.exec(body)?.[1] ?? '?';
        seen.push(method);
        const answers: Record<string, string> = {
          RetrieveServiceContent: `<RetrieveServiceContentResponse xmlns="urn:vim25"><returnval><rootFolder type="Folder">group-d1</rootFolder><propertyCollector type="PropertyCollector">propertyCollector</propertyCollector><viewManager type="ViewManager">ViewManager</viewManager><sessionManager type="SessionManager">SessionManager</sessionManager><about><fullName>VMware vCenter Server 8.0.2</fullName><version>8.0.2</version><apiVersion>8.0.2.0</apiVersion></about></returnval></RetrieveServiceContentResponse>`,
          Login: `<LoginResponse xmlns="urn:vim25"><returnval><key>52a1</key><userName>VSPHERE.LOCAL\\lifeboat</userName></returnval></LoginResponse>`,
          RetrievePropertiesEx: `<RetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>page-2</token>${objects(0, 500)}</returnval></RetrievePropertiesExResponse>`,
          ContinueRetrievePropertiesEx: body.includes('<token>page-2</token>')
            ? `<ContinueRetrievePropertiesExResponse xmlns="urn:vim25"><returnval><token>page-3</token>${objects(500, 1000)}</returnval></ContinueRetrievePropertiesExResponse>`
            : `<ContinueRetrievePropertiesExResponse xmlns="urn:vim25"><returnval>${objects(1000, 1234)}</returnval></ContinueRetrievePropertiesExResponse>`,
        };
        const headers: Record<string, string> = { 'content-type': 'text/xml; charset=utf-8' };
        if (method === 'Login') headers['set-cookie'] = 'vmware_soap_session="b7c1"; Path=/; HttpOnly';
        res.writeHead(200, headers).end(envelope(answers[method] ?? ''));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const transport = new PinnedHttp({ scheme: 'http', host: '127.0.0.1', port });
    const client = new VimClient(transport, { username: 'lifeboat', password: 'x' });
    try {
      const found = await client.retrieve(
        [
          ['obj', moRef('ContainerView', 'session[1]')],
          ['skip', true],
        ],
        [{ type: 'VirtualMachine', paths: ['name'] }],
      );
      expect(found).toHaveLength(1234);
      expect(found[1233]!.obj).toEqual({ type: 'VirtualMachine', value: 'vm-1233' });
      expect(seen).toEqual([
        'RetrieveServiceContent',
        'Login',
        'RetrievePropertiesEx',
        'ContinueRetrievePropertiesEx',
        'ContinueRetrievePropertiesEx',
      ]);
      expect(client.sessionCookie).toBe('vmware_soap_session="b7c1"');
    } finally {
      transport.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
