import type { ChartSeries } from '../charts/TimeBarChart.js';
import { COST_LABEL_INFO } from './cost-labels.js';

/** Spend charts stack the labels that carry an amount; `unavailable` costs are unknown and only counted as runs. */
export const SPEND_SERIES: ChartSeries[] = (['verified', 'estimated', 'pending_sync'] as const).map((l) => ({ key: l, label: COST_LABEL_INFO[l].title, className: `cost-fill-${l}` }));
