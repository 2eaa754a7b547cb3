/**
 * Paper execution for the embedded default: stands in for an order gateway against the simulated
 * exchange. An approved order that crosses the current touch is acked and filled at the best
 * opposite price (market orders always); one that does not cross is acked and rests until it is
 * cancelled or its reservation expires. Reports go through the bus like a real gateway's.
 */
import { TOPICS } from '../bus/types.js';
import type { InMemoryBus } from '../bus/memory.js';
import type { Engine } from '../risk/engine.js';
import type { Order } from '../risk/events.js';

export class PaperGateway {
  private seq = 0;
  constructor(
    private readonly engine: Engine,
    private readonly bus: InMemoryBus,
    private readonly now: () => number,
  ) {}

  /** Called with each approved order; publishes the ack and, if it crosses, the fill. */
  execute(order: Order): void {
    const s = this.engine.state;
    const ins = s.registry.byCanonical(order.instrument);
    if (ins === undefined) return;
    const ts = this.now();
    const venueOrderId = `paper-${++this.seq}`;
    this.bus.publish(TOPICS.executions, order.account, { v: 1, type: 'order.ack', ts, account: order.account, clOrdId: order.clOrdId, venueOrderId });
    const best = order.side === 'buy' ? s.market.ask[ins.idx]! : s.market.bid[ins.idx]!;
    if (!(best > 0)) return;
    const limit = order.price === undefined ? Number.NaN : Number(order.price);
    const crosses = order.type === 'market' || (order.side === 'buy' ? limit >= best : limit <= best);
    if (!crosses) return;
    const decimals = Math.max(0, (ins.spec.tickSize.split('.')[1] ?? '').length);
    this.bus.publish(TOPICS.executions, order.account, {
      v: 1,
      type: 'fill',
      ts,
      account: order.account,
      execId: `${venueOrderId}-1`,
      clOrdId: order.clOrdId,
      instrument: order.instrument,
      side: order.side,
      qty: order.qty,
      price: best.toFixed(decimals),
    });
  }
}
