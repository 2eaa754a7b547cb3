/**
 * Running trade statistics for the simulators' ticker channels (Kraken `ticker`, Coinbase
 * `ticker`): open, high, low, last, base volume and VWAP over the trades seen since the simulator
 * started (the venues' 24 h window is longer than any simulator run). Exact decimal arithmetic
 * (src/portfolio/fixed.ts), so no float artefact reaches the wire.
 */
import { type Fixed, ZERO, add, div, format, fx, max, min, mul, roundTo, sub } from '../portfolio/fixed.js';

export class TradeStats {
  private openF: Fixed | undefined;
  private highF: Fixed = ZERO;
  private lowF: Fixed = ZERO;
  private lastF: Fixed = ZERO;
  private volumeF: Fixed = ZERO;
  private notionalF: Fixed = ZERO;
  private lastSizeText = '0';
  private lastPriceText = '0';

  get empty(): boolean {
    return this.openF === undefined;
  }

  add(price: string, size: string): void {
    const p = fx(price);
    const q = fx(size);
    if (this.openF === undefined) {
      this.openF = p;
      this.highF = p;
      this.lowF = p;
    } else {
      this.highF = max(this.highF, p);
      this.lowF = min(this.lowF, p);
    }
    this.lastF = p;
    this.lastPriceText = price;
    this.lastSizeText = size;
    this.volumeF = add(this.volumeF, q);
    this.notionalF = add(this.notionalF, mul(p, q));
  }

  get open(): string {
    return format(this.openF ?? ZERO);
  }
  get high(): string {
    return format(this.highF);
  }
  get low(): string {
    return format(this.lowF);
  }
  /** The last trade's price exactly as it was traded. */
  get last(): string {
    return this.lastPriceText;
  }
  get lastSize(): string {
    return this.lastSizeText;
  }
  get volume(): string {
    return format(this.volumeF);
  }

  /** Volume-weighted average price, rounded half-even to `decimals`. */
  vwap(decimals: number): string {
    if (this.volumeF === ZERO) return this.lastPriceText;
    return format(roundTo(div(this.notionalF, this.volumeF), decimals));
  }

  /** last - open. */
  change(): string {
    return format(sub(this.lastF, this.openF ?? this.lastF));
  }

  /** (last - open) / open in percent, rounded to 2 decimals. */
  changePercent(): string {
    const open = this.openF;
    if (open === undefined || open === ZERO) return '0';
    return format(roundTo(div(mul(sub(this.lastF, open), fx('100')), open), 2));
  }
}
