// @vaultrun/money — money: quotes (the worst case a call may cost), the budget ledger (reserve → settle, in
// PostgreSQL), cost labels, provider cost sync, and budget alerts. Integer micro-USD everywhere.
export { alertDelivery, alertJobId, markAlertDelivered, pendingAlerts, signWebhook, verifyWebhookSignature } from './alerts.js';
export { CostSync, type CostSyncAccountResult, costSyncErrorMessage } from './cost-sync.js';
export { creditState, sweepExpiredCredits } from './credits.js';
export { COST_LABELS, type CostLabel, costOfCall } from './labels.js';
export {
  type ApplicableBudget,
  BudgetReserver,
  type BudgetScope,
  budgetsFor,
  closeHolds,
  costCapRefusal,
  type HoldClosing,
  holdClosingSql,
  precheckBudgets,
  type Refusal,
  refusalError,
  type Reservation,
  type ReservationRequest,
  reservationsFrom,
  reserveArrays,
  type ReserveRow,
  sweepHolds,
} from './ledger.js';
export { overridesOf, type PriceOverrideRow, pricedWith, promptTokensToHold, quoteRun, type RunQuote } from './quote.js';
