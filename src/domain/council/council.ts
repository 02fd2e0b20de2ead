/**
 * The council's verdict (SPEC §9, the seed's COUNCIL_V2.0_FALLBACK): every member votes on the
 * same closed candles; the row carries the majority action, the weighted agreement as its
 * confidence and every vote as its reasoning.
 *
 *  - Majority: BUY (or SELL) wins when at least half the members vote for it and more vote for it
 *    than for the other side (4 members: 2 BUY + 2 HOLD → BUY; 2 BUY + 2 SELL → HOLD). Otherwise HOLD.
 *  - Weighted agreement: the winners' confidences over the sum of every member's confidence
 *    (HOLD voters count with theirs: a member sure it should stand aside weakens the verdict).
 *    A HOLD verdict carries the same measure for HOLD.
 */
import type { Candle } from '../types.ts';
import { COUNCIL_MEMBERS, type Member, type Vote, type VoteAction } from './members.ts';

export const COUNCIL_SOURCE = 'COUNCIL_V2.0_FALLBACK';

export interface Verdict {
  action: VoteAction;
  /** 0..1 weighted agreement */
  confidence: number;
  votes: Vote[];
  /** one line per member: "trend BUY 0.72: EMA12 above EMA26 by 1.28 ATR" */
  reasoning: string;
}

export function tally(votes: readonly Vote[]): Pick<Verdict, 'action' | 'confidence'> {
  const count = (a: VoteAction) => votes.filter((v) => v.action === a).length;
  const buy = count('BUY');
  const sell = count('SELL');
  const half = votes.length / 2;
  const action: VoteAction = buy >= half && buy > sell ? 'BUY' : sell >= half && sell > buy ? 'SELL' : 'HOLD';
  const total = votes.reduce((s, v) => s + v.confidence, 0);
  const mine = votes.filter((v) => v.action === action).reduce((s, v) => s + v.confidence, 0);
  const confidence = total > 0 ? Math.round((mine / total) * 1000) / 1000 : 0;
  return { action, confidence };
}

export function describeVote(v: Vote): string {
  return `${v.member} ${v.action} ${v.confidence.toFixed(2)}: ${v.reason}`;
}

/** Closed candles (oldest first) → the council's verdict. Pure. */
export function convene(candles: readonly Candle[], members: readonly Member[] = COUNCIL_MEMBERS): Verdict {
  const votes = members.map((m) => m(candles));
  const { action, confidence } = tally(votes);
  return { action, confidence, votes, reasoning: votes.map(describeVote).join('\n') };
}
