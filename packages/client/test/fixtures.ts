import type { TypeDef } from '@fieldsync/core';

/** The work-order type used across the client tests. */
export const workOrderType: TypeDef = {
  name: 'workOrders',
  version: 1,
  fields: {
    title: { type: 'string', required: true },
    status: { type: 'enum', values: ['open', 'assigned', 'done', 'cancelled'], required: true },
    priority: { type: 'number' },
    site: { type: 'string' },
    updatedAt: { type: 'number' },
    tags: { type: 'set', of: { type: 'string' } },
    visits: { type: 'counter' },
    notes: { type: 'log', of: { type: 'string' } },
    address: { type: 'object', fields: { city: { type: 'string' }, zip: { type: 'string' } } },
    estimate: { type: 'number' },
    body: { type: 'text' },
  },
};
