import { z } from 'zod';
import { ArmError, notFound, parseBody, type Request, send, subResource } from './core';
import type { Network, SimState } from './state';

/**
 * Virtual networks (subnets inline), network security groups and network interfaces (Microsoft.Network).
 *
 * api-version 2026-01-01, what @azure/arm-network 39.0.0 sends (dist/commonjs/api/virtualNetworks/operations.js).
 * Shapes from the published spec specification/network/resource-manager/Microsoft.Network/stable/2024-05-01/
 * virtualNetwork.json, networkSecurityGroup.json, networkInterface.json (PUT 200/201 with Azure-AsyncOperation,
 * DELETE 202 with Location, 204 when absent). Network PUTs end on their Azure-AsyncOperation status; the SDK
 * returns that status body as the "result" (github.com/Azure/azure-sdk-for-js/issues/20249): GET afterwards.
 */
export const NETWORK_API_VERSION = '2026-01-01';

const cidr = z.string().regex(/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/, 'not an IPv4 CIDR prefix');

const vnetPut = z.object({
  location: z.string().min(1),
  tags: z.record(z.string(), z.string()).optional(),
  properties: z.object({
    addressSpace: z.object({ addressPrefixes: z.array(cidr).min(1) }),
    subnets: z
      .array(
        z.object({
          name: z.string().min(1),
          properties: z.object({ addressPrefix: cidr, networkSecurityGroup: subResource.optional() }),
        }),
      )
      .optional(),
  }),
});

const nsgPut = z.object({
  location: z.string().min(1),
  tags: z.record(z.string(), z.string()).optional(),
  properties: z
    .object({
      securityRules: z
        .array(
          z.object({
            name: z.string().min(1),
            properties: z.object({
              protocol: z.enum(['Tcp', 'Udp', 'Icmp', 'Esp', 'Ah', '*']),
              access: z.enum(['Allow', 'Deny']),
              direction: z.enum(['Inbound', 'Outbound']),
              priority: z.number().int().min(100).max(4096),
              sourceAddressPrefix: z.string().optional(),
              sourcePortRange: z.string().optional(),
              destinationAddressPrefix: z.string().optional(),
              destinationPortRange: z.string().optional(),
              destinationPortRanges: z.array(z.string()).optional(),
            }),
          }),
        )
        .optional(),
    })
    .optional(),
});

const nicPut = z.object({
  location: z.string().min(1),
  tags: z.record(z.string(), z.string()).optional(),
  properties: z.object({
    ipConfigurations: z
      .array(
        z.object({
          name: z.string().min(1),
          properties: z.object({
            subnet: subResource,
            privateIPAllocationMethod: z.enum(['Dynamic', 'Static']).optional(),
            privateIPAddress: z.string().optional(),
            primary: z.boolean().optional(),
          }),
        }),
      )
      .min(1),
    networkSecurityGroup: subResource.optional(),
  }),
});

function ipv4(prefix: string): { start: number; end: number } {
  const [address = '', bits = '0'] = prefix.split('/');
  const value = address.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(value / size) * size;
  return { start, end: start + size - 1 };
}

const TYPES = {
  virtualnetworks: { type: 'Microsoft.Network/virtualNetworks', kind: 'virtualNetwork' },
  networksecuritygroups: { type: 'Microsoft.Network/networkSecurityGroups', kind: 'networkSecurityGroup' },
  networkinterfaces: { type: 'Microsoft.Network/networkInterfaces', kind: 'networkInterface' },
} as const;

function missingReference(id: string, by: string, property: string): ArmError {
  return new ArmError(
    400,
    'InvalidResourceReference',
    `Resource ${id} referenced by resource ${by} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
    property,
  );
}

/** Validates a PUT body and returns the stored properties (with ids and provisioningState filled in). */
function properties(
  state: SimState,
  collection: keyof typeof TYPES,
  id: string,
  raw: unknown,
): { location: string; tags?: Record<string, string>; properties: Record<string, unknown> } {
  if (collection === 'virtualnetworks') {
    const body = parseBody(vnetPut, raw, 'parameters');
    const spaces = body.properties.addressSpace.addressPrefixes.map(ipv4);
    const subnets = (body.properties.subnets ?? []).map((subnet, index) => {
      const range = ipv4(subnet.properties.addressPrefix);
      if (!spaces.some((space) => range.start >= space.start && range.end <= space.end)) {
        throw new ArmError(
          400,
          'NetcfgSubnetRangeOutsideVnet',
          `Subnet '${subnet.name}' is not valid because its IP address range is outside the IP address range of virtual network '${id.split('/').pop()}'.`,
          `parameters.properties.subnets[${index}].properties.addressPrefix`,
        );
      }
      const nsg = subnet.properties.networkSecurityGroup;
      if (nsg && !state.get('networkSecurityGroup', nsg.id))
        throw missingReference(
          nsg.id,
          `${id}/subnets/${subnet.name}`,
          `parameters.properties.subnets[${index}].properties.networkSecurityGroup.id`,
        );
      return {
        id: `${id}/subnets/${subnet.name}`,
        name: subnet.name,
        type: 'Microsoft.Network/virtualNetworks/subnets',
        properties: { ...subnet.properties, provisioningState: 'Succeeded' },
      };
    });
    return {
      location: body.location,
      tags: body.tags,
      properties: { addressSpace: body.properties.addressSpace, subnets, provisioningState: 'Succeeded' },
    };
  }
  if (collection === 'networksecuritygroups') {
    const body = parseBody(nsgPut, raw, 'parameters');
    const securityRules = (body.properties?.securityRules ?? []).map((rule) => ({
      id: `${id}/securityRules/${rule.name}`,
      name: rule.name,
      type: 'Microsoft.Network/networkSecurityGroups/securityRules',
      properties: { ...rule.properties, provisioningState: 'Succeeded' },
    }));
    return { location: body.location, tags: body.tags, properties: { securityRules, provisioningState: 'Succeeded' } };
  }
  const body = parseBody(nicPut, raw, 'parameters');
  const ipConfigurations = body.properties.ipConfigurations.map((config, index) => {
    const subnetId = config.properties.subnet.id;
    const vnet = state.get('virtualNetwork', subnetId.replace(/\/subnets\/[^/]+$/i, ''));
    const subnets = (vnet?.properties.subnets ?? []) as { id: string; properties: { addressPrefix: string } }[];
    const subnet = subnets.find((s) => s.id.toLowerCase() === subnetId.toLowerCase());
    if (!subnet) throw missingReference(subnetId, id, `parameters.properties.ipConfigurations[${index}].properties.subnet.id`);
    const address =
      config.properties.privateIPAddress ??
      (() => {
        const { start } = ipv4(subnet.properties.addressPrefix);
        const n = start + 4 + index; // Azure keeps the first four addresses of a subnet
        return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
      })();
    return {
      id: `${id}/ipConfigurations/${config.name}`,
      name: config.name,
      type: 'Microsoft.Network/networkInterfaces/ipConfigurations',
      properties: {
        privateIPAllocationMethod: 'Dynamic',
        ...config.properties,
        privateIPAddress: address,
        primary: index === 0,
        provisioningState: 'Succeeded',
      },
    };
  });
  const nsg = body.properties.networkSecurityGroup;
  if (nsg && !state.get('networkSecurityGroup', nsg.id))
    throw missingReference(nsg.id, id, 'parameters.properties.networkSecurityGroup.id');
  return {
    location: body.location,
    tags: body.tags,
    properties: { ipConfigurations, ...(nsg ? { networkSecurityGroup: nsg } : {}), provisioningState: 'Succeeded' },
  };
}

/** Why a network resource cannot go yet (a NIC in a VNet's subnet, a NIC on a VM, an NSG in use). */
function inUse(state: SimState, resource: Network): ArmError | undefined {
  const nics = [...state.resources.values()].filter((r): r is Network => r.kind === 'networkInterface');
  if (resource.kind === 'virtualNetwork') {
    for (const nic of nics) {
      for (const config of (nic.properties.ipConfigurations ?? []) as { id: string; properties: { subnet: { id: string } } }[]) {
        if (config.properties.subnet.id.toLowerCase().startsWith(`${resource.id.toLowerCase()}/subnets/`)) {
          const subnet = config.properties.subnet.id.split('/').pop();
          return new ArmError(
            400,
            'InUseSubnetCannotBeDeleted',
            `Subnet ${subnet} is in use by ${config.id} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.`,
          );
        }
      }
    }
  }
  if (resource.kind === 'networkInterface' && resource.virtualMachine) {
    return new ArmError(
      400,
      'NicInUse',
      `Network Interface ${resource.id} is used by existing resource ${resource.virtualMachine}. In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.`,
    );
  }
  if (resource.kind === 'networkSecurityGroup') {
    const user = nics.find(
      (nic) => (nic.properties.networkSecurityGroup as { id?: string } | undefined)?.id?.toLowerCase() === resource.id.toLowerCase(),
    );
    if (user)
      return new ArmError(
        400,
        'InUseNetworkSecurityGroupCannotBeDeleted',
        `Network security group ${resource.id} cannot be deleted because it is in use by the following resources: ${user.id}.`,
      );
  }
  return undefined;
}

// PUT/GET/DELETE .../providers/Microsoft.Network/{virtualNetworks|networkSecurityGroups|networkInterfaces}/{name}
export async function networkRoute(req: Request, state: SimState, collection: keyof typeof TYPES, name: string): Promise<void> {
  const { type, kind } = TYPES[collection];
  const id = state.id(type, name);
  const existing = state.get(kind, id);
  if (req.method === 'GET') {
    if (!existing) throw notFound(type, name, state.resourceGroup);
    return send(req.res, 200, existing.json());
  }
  if (req.method === 'DELETE') {
    if (!existing) return send(req.res, 204);
    const refused = inUse(state, existing);
    if (refused) throw refused;
    state.remove(id);
    state.operations.start(req.res, { status: 202, namespace: 'Microsoft.Network', apiVersion: NETWORK_API_VERSION, work: async () => {} });
    return;
  }
  if (req.method !== 'PUT') throw new ArmError(405, 'MethodNotAllowed', `The method ${req.method} is not allowed.`);
  const parsed = properties(state, collection, id, req.body);
  if (parsed.location.toLowerCase().replace(/\s+/g, '') !== state.location) {
    throw new ArmError(
      400,
      'LocationNotAvailableForResourceType',
      `The provided location '${parsed.location}' is not available for resource type '${type}'. List of available regions for the resource type is '${state.location}'.`,
      'location',
    );
  }
  const resource: Network = {
    kind,
    id,
    name,
    type,
    tags: parsed.tags,
    location: state.location,
    properties: parsed.properties,
    virtualMachine: existing?.virtualMachine,
    json: () => ({
      id,
      name,
      type,
      location: state.location,
      ...(resource.tags ? { tags: resource.tags } : {}),
      properties: { ...resource.properties, ...(resource.virtualMachine ? { virtualMachine: { id: resource.virtualMachine } } : {}) },
    }),
  };
  state.put(resource);
  state.operations.start(req.res, {
    status: existing ? 200 : 201,
    body: { ...resource.json(), properties: { ...resource.properties, provisioningState: 'Updating' } },
    namespace: 'Microsoft.Network',
    apiVersion: NETWORK_API_VERSION,
    location: false,
    work: async () => ({ status: 200, body: resource.json() }),
  });
}
