// 100,000 work orders, generated from a fixed seed so every library gets the same rows.
export const STATUSES = ['open', 'assigned', 'done', 'cancelled'];
export const SITES = Array.from({ length: 200 }, (_, i) => `site-${i}`);

/** The work-order type as fieldsync defines it (the client bench and the core floor). */
export const workOrderType = {
  name: 'workOrders',
  version: 1,
  fields: {
    title: { type: 'string' },
    status: { type: 'enum', values: STATUSES },
    priority: { type: 'number' },
    site: { type: 'string' },
    updatedAt: { type: 'number' },
  },
};

function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function workOrders(n = 100_000, seed = 7) {
  const rand = mulberry32(seed);
  const base = Date.UTC(2026, 0, 1);
  const rows = new Array(n);
  for (let i = 0; i < n; i++) {
    rows[i] = {
      id: `wo${String(i).padStart(6, '0')}`,
      title: `Work order ${i}: inspect unit ${Math.floor(rand() * 1000)}`,
      status: STATUSES[Math.floor(rand() * 4)],
      priority: Math.floor(rand() * 5),
      site: SITES[Math.floor(rand() * 200)],
      updatedAt: base + Math.floor(rand() * 30 * 86_400_000),
    };
  }
  return rows;
}
