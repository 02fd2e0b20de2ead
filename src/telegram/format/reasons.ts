/**
 * Human words for every reason code a trader can meet (issue 15 item 7): exits and changes of a
 * stop or target. Typed over the domain's unions, so a new code without words fails to compile.
 */
import type { ExitReason, ReevaluationReason } from '../../domain/types.ts';

type ExitCode = ExitReason | 'exchange_stop' | 'closed_on_exchange';

export const EXIT_WORDS: Record<ExitCode, string> = {
  stop_loss: '🛑 stop loss',
  take_profit: '🎯 take profit',
  trailing_stop: '📈 trailing stop',
  partial_tp: '💰 partial take profit',
  time_exit: '⏰ time exit',
  liquidation_protection: '🚨 liquidation protection',
  manual: '✋ closed by you',
  signal_reverse: '🔄 closed by an opposite signal',
  end_of_data: 'end of the data',
  exchange_stop: '🛡 the stop on the exchange',
  closed_on_exchange: 'closed on the exchange',
};

export const CHANGE_WORDS: Record<ReevaluationReason, string> = {
  trailing_activated: 'the trailing stop started',
  trailing_peak: 'the trailing stop followed a new best price',
  breakeven_after_partial: 'moved to breakeven after a partial take profit',
  manual_stop_loss: 'set by you',
  manual_take_profit: 'set by you',
  manual_breakeven: 'moved to breakeven by you',
};

/** words for a code; an unknown one reads as plain words, never as snake_case */
export function reasonWords(code: string | null | undefined): string {
  if (!code) return '';
  return (EXIT_WORDS as Record<string, string>)[code] ?? (CHANGE_WORDS as Record<string, string>)[code] ?? code.replace(/_/g, ' ');
}
