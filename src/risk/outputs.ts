/**
 * What the engine says besides decisions: alerts for the desk (RTS 6 Art. 16(5): within seconds
 * of the event) and an audit record for every admin action. Drained by the host after each event.
 */
import type { Scope, TradingState } from './events.js';

export const ALERT_CODES = [
  'TRIGGER_DAILY_LOSS',
  'TRIGGER_DRAWDOWN',
  'TRADING_STATE_CHANGED',
  'LIMIT_CHANGED',
  'RESERVATION_EXPIRED',
  'FILL_WITHOUT_ORDER',
  'ORDER_REPORT_UNKNOWN',
  'EXECUTION_REJECTED',
  'EVENT_REJECTED',
] as const;
export type AlertCode = (typeof ALERT_CODES)[number];

export interface Alert {
  type: 'alert';
  ts: number;
  code: AlertCode;
  severity: 'info' | 'warning' | 'critical';
  scope: Scope | 'instrument';
  target: string;
  message: string;
}

export interface AuditRecord {
  type: 'audit';
  ts: number;
  actor: string;
  action: 'trading_state' | 'limit';
  scope: Scope;
  target: string;
  /** Limit name (and key) or "state". */
  subject: string;
  before: string | number | null;
  after: string | number | null;
  reason: string;
  accepted: boolean;
  /** Why an admin event was refused (unknown target, invalid value). */
  error?: string | undefined;
}

export type EngineOutput = Alert | AuditRecord;

export type { TradingState };
