/**
 * /connect: exchange (or paper) → mode → margin mode (margin and futures, SPEC §11) → API key → secret → passphrase where needed → the key is
 * checked against the exchange (a balance call) → saved encrypted. Secrets are deleted at once.
 * A key that can withdraw is refused where the exchange reports it, warned about elsewhere.
 */
import { InlineKeyboard } from 'grammy';
import type { ExchangeId, MarginMode, TradingMode } from '../../exchange/port.ts';
import type { KeyCheck } from '../../engine/facade.ts';
import { CANCEL_DATA, connectData, EXPIRED } from '../../telegram/callback-data.ts';
import { fmtBalance, type Dialog, type DialogContext, type FeatureDeps } from '../context.ts';
import { EXCHANGE_CHOICES, MARGIN_MODE_LABELS, MODE_LABELS, PAPER_MODES, PAPER_PRICE_SOURCE, credentialProblem, exchangeChoice, marginModesOf } from '../exchanges.ts';
import { escapeHtml } from '../../telegram/format/numbers.ts';
import { askChoice, askText } from './ask.ts';

export const CONNECT_DIALOG = 'connect';
const MAX_KEY_ATTEMPTS = 3;

function exchangeKeyboard(paperBalance: number): InlineKeyboard {
  const kb = new InlineKeyboard().text(`🧪 Paper (virtual ${fmtBalance(paperBalance)} USDT)`, connectData.pack({ step: 'ex', v: 'paper' })).row();
  EXCHANGE_CHOICES.forEach((e, i) => {
    kb.text(e.name, connectData.pack({ step: 'ex', v: e.id }));
    if (i % 3 === 2) kb.row();
  });
  return kb.row().text('Cancel', CANCEL_DATA);
}

function modeKeyboard(modes: readonly TradingMode[]): InlineKeyboard {
  const kb = new InlineKeyboard();
  for (const m of modes) kb.text(MODE_LABELS[m], connectData.pack({ step: 'mode', v: m })).row();
  return kb.text('Cancel', CANCEL_DATA);
}

/**
 * Margin and futures: cross or isolated (SPEC §11), the exchange's default first; asked only
 * where the exchange offers a choice. Undefined on spot.
 */
async function askMarginMode(conversation: Dialog, ctx: DialogContext, exchange: ExchangeId, name: string, mode: TradingMode): Promise<MarginMode | undefined> {
  const modes = marginModesOf(exchange, mode);
  if (modes.length <= 1) return modes[0];
  const kb = new InlineKeyboard();
  modes.forEach((m, i) => kb.text(`${MARGIN_MODE_LABELS[m]}${i === 0 ? ' · default' : ''}`, connectData.pack({ step: 'mm', v: m })).row());
  kb.text('Cancel', CANCEL_DATA);
  const data = await askChoice(conversation, ctx, `${name} ${mode}: which margin mode?`, kb, /^c:mm:(cross|isolated)$/);
  const picked = connectData.unpack(data).v as MarginMode;
  return modes.includes(picked) ? picked : modes[0];
}

async function askCredential(conversation: Dialog, ctx: DialogContext, what: 'API key' | 'secret' | 'passphrase', prompt: string): Promise<string> {
  let question = prompt;
  for (;;) {
    const value = await askText(conversation, ctx, question, { secret: true });
    const problem = credentialProblem(value, what);
    if (!problem) return value;
    question = `${escapeHtml(problem)} Send the ${what} again (the message will be deleted), or /cancel.`;
  }
}

export function createConnectDialog(deps: FeatureDeps) {
  return async function connect(conversation: Dialog, ctx: DialogContext): Promise<void> {
    const fromId = ctx.from?.id;
    if (fromId === undefined) return;
    const trader = await conversation.external(async () => {
      const u = await deps.engine.traderByTelegramId(fromId);
      return u ? { id: u.id } : null;
    });
    if (!trader) {
      await ctx.reply('Send /start first: it sets up your account with the bot.');
      return;
    }
    const actor = { telegramId: fromId, userId: trader.id };

    const exData = await askChoice(conversation, ctx, '<b>Connect an account</b>\nWhich exchange? Paper trades with virtual money on live prices: no keys needed.', exchangeKeyboard(deps.paperStartBalance), /^c:ex:[a-z]{1,20}$/);
    const exchangeId = connectData.unpack(exData).v;

    if (exchangeId === 'paper') {
      const modeData = await askChoice(conversation, ctx, 'Paper account: which mode?', modeKeyboard(PAPER_MODES), /^c:mode:[a-z]{1,10}$/);
      const mode = connectData.unpack(modeData).v as TradingMode;
      if (!PAPER_MODES.includes(mode)) {
        await ctx.reply(`${EXPIRED} /connect to start again.`);
        return;
      }
      const marginMode = await askMarginMode(conversation, ctx, PAPER_PRICE_SOURCE, 'Paper', mode);
      const saved = await conversation.external(async () => {
        // the engine audits the new account with this actor
        return deps.engine.addAccount(actor, { userId: trader.id, exchange: PAPER_PRICE_SOURCE, mode, ...(marginMode ? { marginMode } : {}), paper: true, label: `Paper ${mode}` });
      });
      await ctx.reply(
        `✅ Paper account ready (${mode}${marginMode ? `, ${marginMode} margin` : ''}, ${fmtBalance(deps.paperStartBalance)} USDT virtual, on Binance prices).\nAccount id <code>${escapeHtml(saved.accountId.slice(0, 8))}</code>.\nSignals will now be traded on it. Check /settings, then watch /positions.`,
        { parse_mode: 'HTML' },
      );
      return;
    }

    const exchange = exchangeChoice(exchangeId);
    if (!exchange) {
      await ctx.reply('That exchange is not supported. /connect to start again.');
      return;
    }
    let mode: TradingMode = exchange.modes[0] ?? 'spot';
    if (exchange.modes.length > 1) {
      const modeData = await askChoice(conversation, ctx, `${exchange.name}: which mode?`, modeKeyboard(exchange.modes), /^c:mode:[a-z]{1,10}$/);
      mode = connectData.unpack(modeData).v as TradingMode;
      if (!exchange.modes.includes(mode)) mode = exchange.modes[0] ?? 'spot';
    }
    const marginMode = await askMarginMode(conversation, ctx, exchange.id, exchange.name, mode);

    const permissions = mode === 'spot' ? 'reading and spot trading' : mode === 'margin' ? 'reading and margin trading' : 'reading and futures trading';
    for (let attempt = 1; ; attempt++) {
      const apiKey = await askCredential(
        conversation,
        ctx,
        'API key',
        `<b>${exchange.name} ${mode}</b>\nCreate an API key with <b>${permissions}</b> only — <b>no withdrawals</b>.\nSend the <b>API key</b>. I delete the message at once.`,
      );
      const secret = await askCredential(conversation, ctx, 'secret', 'Now the <b>API secret</b> (deleted at once).');
      const password = exchange.needsPassphrase
        ? await askCredential(conversation, ctx, 'passphrase', `Now the <b>API passphrase</b> you set on ${exchange.name} (deleted at once).`)
        : undefined;

      await ctx.reply(`Checking the key with ${exchange.name} (a balance request)…`);
      const check: KeyCheck = await conversation.external(async () => {
        try {
          return await deps.engine.checkKey(exchange.id, mode, { apiKey, secret, ...(password ? { password } : {}) }, trader.id);
        } catch {
          return { ok: false, message: `${exchange.name} could not be reached. Try again in a moment.` };
        }
      });

      let refusal: string | undefined;
      if (!check.ok) refusal = escapeHtml(check.message ?? 'The exchange refused the key.');
      else if (check.canWithdraw === true) {
        refusal = `This key is allowed to <b>withdraw funds</b>. For your safety it is not accepted: on ${exchange.name}, edit the key's restrictions, turn withdrawals off, and send it again.`;
      }
      if (refusal) {
        await conversation.external(() =>
          deps.engine.recordAudit(actor, 'account.key_refused', undefined, { exchange: exchange.id, mode, withdraw: check.canWithdraw === true }),
        );
        if (attempt >= MAX_KEY_ATTEMPTS) {
          await ctx.reply(`❌ ${refusal}\nNothing was saved. /connect to try again later.`, { parse_mode: 'HTML' });
          return;
        }
        await ctx.reply(`❌ ${refusal}\nNothing was saved. Let's try again.`, { parse_mode: 'HTML' });
        continue;
      }

      const saved = await conversation.external(async () => {
        const r = await deps.engine.addAccount(actor, {
          userId: trader.id,
          exchange: exchange.id,
          mode,
          ...(marginMode ? { marginMode } : {}),
          paper: false,
          label: `${exchange.name} ${mode}`,
          credentials: { apiKey, secret, ...(password ? { password } : {}) },
        });
        return { accountId: r.accountId, hint: apiKey.slice(-4) };
      });
      const warning =
        check.canWithdraw === undefined
          ? `\n⚠️ ${exchange.name} does not tell whether this key can withdraw. Make sure withdrawals are <b>off</b> for it.`
          : '';
      await ctx.reply(
        `✅ Connected <b>${exchange.name} ${mode}${marginMode ? ` (${marginMode} margin)` : ''}</b> (key …${escapeHtml(saved.hint)}), stored encrypted.${warning}\nCheck /settings, then watch /positions. /accounts lists your accounts.`,
        { parse_mode: 'HTML' },
      );
      return;
    }
  };
}
