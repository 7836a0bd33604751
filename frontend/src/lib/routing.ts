/** Subspecialty routing rules (admin): /api/routing-rules. */
import { apiJson, type RequestOptions } from './api';

export type { RoutingDecision, RoutingRuleInput, RoutingRuleView, RoutingTestStudy } from '@contracts/routing';
import type { RoutingDecision, RoutingRuleInput as RuleInput, RoutingRuleView as RoutingRule, RoutingTestStudy } from '@contracts/routing';

const BASE = '/api/routing-rules';

export const routingApi = {
  list: (options?: RequestOptions) => apiJson<RoutingRule[]>(BASE, options),
  create: (body: RuleInput) => apiJson<RoutingRule>(BASE, { method: 'POST', json: body }),
  update: (id: string, body: Partial<RuleInput>) => apiJson<RoutingRule>(`${BASE}/${encodeURIComponent(id)}`, { method: 'PATCH', json: body }),
  remove: (id: string) => apiJson<void>(`${BASE}/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  resetDefaults: () => apiJson<RoutingRule[]>(`${BASE}/reset-defaults`, { method: 'POST' }),
  test: (body: RoutingTestStudy) => apiJson<RoutingDecision>(`${BASE}/test`, { method: 'POST', json: body }),
};
