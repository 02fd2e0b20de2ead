/**
 * OKX algo orders in the emulator (POST /trade/order-algo, /trade/cancel-algos,
 * /trade/amend-algos, GET /trade/order-algo): `conditional` (stop loss and/or take profit,
 * slOrdPx -1 = market) and `trigger` orders. They hold no coins and no margin until they fire
 * (OKX's own rule); when the last price crosses the trigger, a regular order is placed for `sz`
 * (state `effective`, `ordId` names it), or refused (state `order_failed`, e.g. a reduce-only
 * stop with no position left, or a spot sell with the coins gone).
 * The client id of an algo order is `algoClOrdId`; order-algo has no `clOrdId`.
 */
import type { OkxBook } from './okx-book.ts';
import { OkxReject, type OkxAlgo } from './okx-types.ts';

const CLIENT_ID = /^[A-Za-z0-9]{1,32}$/;
const num = (raw: unknown): number | undefined => (raw === undefined || raw === '' || raw === null ? undefined : Number(raw));

export function placeAlgo(book: OkxBook, p: Record<string, unknown>, now: number): OkxAlgo {
  const market = book.market(String(p.instId ?? ''));
  const side = p.side;
  if (side !== 'buy' && side !== 'sell') throw new OkxReject('51000', 'Parameter side error', 200, true);
  const ordType = p.ordType;
  if (ordType !== 'conditional' && ordType !== 'trigger') throw new OkxReject('51000', 'Parameter ordType error', 200, true);
  const algoClOrdId = p.algoClOrdId === undefined ? '' : String(p.algoClOrdId);
  if (algoClOrdId !== '' && !CLIENT_ID.test(algoClOrdId)) throw new OkxReject('51000', 'Parameter algoClOrdId error', 200, true);
  if (algoClOrdId !== '' && book.algos.some((a) => a.algoClOrdId === algoClOrdId && a.state === 'live')) throw new OkxReject('51065', 'algoClOrdId already exists.', 200, true);
  const tdMode = String(p.tdMode ?? '');
  if (market.instType === 'SPOT' ? tdMode !== 'cash' : tdMode !== 'cross' && tdMode !== 'isolated') throw new OkxReject('51000', 'Parameter tdMode error', 200, true);
  const posSide = book.positionSide(market, p.posSide === undefined ? undefined : String(p.posSide));
  const sz = Number(p.sz);
  book.checkSize(market, sz);
  const last = book.price(market.instId);
  const algo: OkxAlgo = {
    algoId: book.id(),
    algoClOrdId,
    instId: market.instId,
    instType: market.instType,
    ordType,
    side,
    posSide,
    tdMode: tdMode as OkxAlgo['tdMode'],
    sz,
    reduceOnly: p.reduceOnly === true || p.reduceOnly === 'true',
    slTriggerPx: num(p.slTriggerPx),
    slOrdPx: num(p.slOrdPx),
    tpTriggerPx: num(p.tpTriggerPx),
    tpOrdPx: num(p.tpOrdPx),
    triggerPx: num(p.triggerPx),
    orderPx: num(p.orderPx),
    triggerAbove: false,
    state: 'live',
    ordId: '',
    actualSz: undefined,
    actualPx: undefined,
    actualSide: '',
    failCode: '',
    triggerTime: undefined,
    lever: 0,
    cTime: now,
    uTime: now,
  };
  if (ordType === 'conditional') {
    if (algo.slTriggerPx === undefined && algo.tpTriggerPx === undefined) throw new OkxReject('51000', 'Parameter slTriggerPx error', 200, true);
    checkTriggers(algo, last);
  } else {
    if (algo.triggerPx === undefined || algo.orderPx === undefined) throw new OkxReject('51000', 'Parameter triggerPx error', 200, true);
    algo.triggerAbove = algo.triggerPx > last;
  }
  book.algos.push(algo);
  return algo;
}

/** a sell's stop below the last price and its take profit above it; a buy's the other way round */
function checkTriggers(algo: Pick<OkxAlgo, 'side' | 'slTriggerPx' | 'tpTriggerPx'>, last: number): void {
  const sell = algo.side === 'sell';
  if (algo.slTriggerPx !== undefined) {
    if (!(algo.slTriggerPx > 0)) throw new OkxReject('51000', 'Parameter slTriggerPx error', 200, true);
    if (sell && algo.slTriggerPx >= last) throw new OkxReject('51280', 'SL trigger price must be less than the last price.', 200, true);
    if (!sell && algo.slTriggerPx <= last) throw new OkxReject('51278', 'SL trigger price must be greater than the last price.', 200, true);
  }
  if (algo.tpTriggerPx !== undefined) {
    if (sell && algo.tpTriggerPx <= last) throw new OkxReject('51279', 'TP trigger price must be greater than the last price.', 200, true);
    if (!sell && algo.tpTriggerPx >= last) throw new OkxReject('51277', 'TP trigger price must be less than the last price.', 200, true);
  }
}

export function findAlgo(book: OkxBook, ref: { algoId?: string; algoClOrdId?: string }): OkxAlgo {
  if (ref.algoId === undefined && ref.algoClOrdId === undefined) throw new OkxReject('51000', 'Parameter algoId error');
  const algo = book.algos.filter((a) => (ref.algoId !== undefined ? a.algoId === ref.algoId : a.algoClOrdId === ref.algoClOrdId)).at(-1);
  if (!algo) throw new OkxReject('51603', 'Order does not exist');
  return algo;
}

/** one item of cancel-algos: its answer entry (sCode 0, or 51400 for an order already done or unknown) */
export function cancelAlgo(book: OkxBook, item: Record<string, unknown>, now: number): { algoId: string; algoClOrdId: string; sCode: string; sMsg: string } {
  const ref = item.algoId !== undefined ? { algoId: String(item.algoId) } : { algoClOrdId: String(item.algoClOrdId ?? '') };
  const algo = book.algos.filter((a) => a.instId === item.instId && (ref.algoId !== undefined ? a.algoId === ref.algoId : a.algoClOrdId === ref.algoClOrdId)).at(-1);
  if (!algo || algo.state !== 'live') {
    return { algoId: ref.algoId ?? algo?.algoId ?? '', algoClOrdId: ref.algoClOrdId ?? algo?.algoClOrdId ?? '', sCode: '51400', sMsg: 'Cancellation failed as the order has been filled, canceled or does not exist.' };
  }
  algo.state = 'canceled';
  algo.uTime = now;
  return { algoId: algo.algoId, algoClOrdId: algo.algoClOrdId, sCode: '0', sMsg: '' };
}

/** amend-algos: a live conditional order's size and triggers move in place */
export function amendAlgo(book: OkxBook, p: Record<string, unknown>, now: number): OkxAlgo {
  const algo = findAlgo(book, p.algoId !== undefined ? { algoId: String(p.algoId) } : { algoClOrdId: String(p.algoClOrdId ?? '') });
  if (algo.state !== 'live') throw new OkxReject('51503', 'Order modification failed as the order has been filled, canceled or does not exist.', 200, true);
  const next = { side: algo.side, slTriggerPx: num(p.newSlTriggerPx) ?? algo.slTriggerPx, tpTriggerPx: num(p.newTpTriggerPx) ?? algo.tpTriggerPx };
  checkTriggers(next, book.price(algo.instId));
  const sz = num(p.newSz);
  if (sz !== undefined) book.checkSize(book.market(algo.instId), sz);
  algo.slTriggerPx = next.slTriggerPx;
  algo.tpTriggerPx = next.tpTriggerPx;
  algo.slOrdPx = num(p.newSlOrdPx) ?? algo.slOrdPx;
  algo.tpOrdPx = num(p.newTpOrdPx) ?? algo.tpOrdPx;
  if (sz !== undefined) algo.sz = sz;
  algo.uTime = now;
  return algo;
}

/** Fires the live algo orders of an instrument that the last price has reached. */
export function fireAlgos(book: OkxBook, instId: string, now: number): void {
  const last = book.prices.get(instId);
  if (last === undefined) return;
  for (const algo of book.algos) {
    if (algo.instId !== instId || algo.state !== 'live') continue;
    const kind = reached(algo, last);
    if (!kind) continue;
    const limit = kind === 'sl' ? algo.slOrdPx : kind === 'tp' ? algo.tpOrdPx : algo.orderPx;
    algo.triggerTime = now;
    algo.uTime = now;
    algo.actualSide = kind === 'trigger' ? '' : kind;
    try {
      const order = book.placeOrder(
        {
          instId,
          side: algo.side,
          ordType: limit === undefined || limit === -1 ? 'market' : 'limit',
          sz: String(algo.sz),
          ...(limit !== undefined && limit !== -1 ? { px: String(limit) } : {}),
          tdMode: algo.tdMode,
          ...(algo.posSide !== 'net' ? { posSide: algo.posSide } : {}),
          reduceOnly: algo.reduceOnly,
        },
        { algoId: algo.algoId, algoClOrdId: algo.algoClOrdId },
      );
      algo.state = 'effective';
      algo.ordId = order.ordId;
      algo.actualSz = order.sz;
      algo.actualPx = order.avgPx || limit;
    } catch (error) {
      if (!(error instanceof OkxReject)) throw error;
      algo.state = 'order_failed';
      algo.failCode = error.code;
    }
  }
}

function reached(algo: OkxAlgo, last: number): 'sl' | 'tp' | 'trigger' | undefined {
  const sell = algo.side === 'sell';
  if (algo.ordType === 'trigger') return algo.triggerAbove ? (last >= algo.triggerPx! ? 'trigger' : undefined) : last <= algo.triggerPx! ? 'trigger' : undefined;
  if (algo.slTriggerPx !== undefined && (sell ? last <= algo.slTriggerPx : last >= algo.slTriggerPx)) return 'sl';
  if (algo.tpTriggerPx !== undefined && (sell ? last >= algo.tpTriggerPx : last <= algo.tpTriggerPx)) return 'tp';
  return undefined;
}
