/**
 * Every repository over one database, built once: main.ts calls createRepos and passes the bundle
 * (or the parts each needs) down to the engine, the alerts, the webhooks and the bot's store.
 * Repos hold no state of their own beyond the handle, so one bundle serves the whole process.
 */
import type { Db } from '../client.ts';
import type { SecretBox } from '../../security/secret-box.ts';
import { createAccountsRepo } from './accounts.ts';
import { createAuditRepo } from './audit.ts';
import { createBotStore } from './bot-state.ts';
import { createCouncilSignalsRepo } from './council-signals.ts';
import { createExecutionsRepo } from './executions.ts';
import { createExitBackoffsRepo } from './exit-backoffs.ts';
import { createExitIntentsRepo } from './exit-intents.ts';
import { createOrdersRepo } from './orders.ts';
import { createOutboxRepo } from './outbox.ts';
import { createDrizzlePaperStore } from './paper-store.ts';
import { createPositionsRepo } from './positions.ts';
import { createRecipientsRepo } from './recipients.ts';
import { createReevaluationsRepo } from './reevaluations.ts';
import { createSettingsRepo } from './settings.ts';
import { createSignalInputsRepo } from './signal-inputs.ts';
import { createSignalsRepo } from './signals.ts';
import { createTradesRepo } from './trades.ts';
import { createTradingControlsRepo } from './trading-controls.ts';
import { createTradingSettingsReader } from './trading-settings-reader.ts';
import { createUsersRepo } from './users.ts';
import { createWebhooksRepo } from './webhooks.ts';

/** `box` seals API secrets, webhook ids and the bot's dialog state at rest */
export function createRepos(db: Db, box: SecretBox) {
  return {
    accounts: createAccountsRepo(db, box),
    audit: createAuditRepo(db),
    backoffs: createExitBackoffsRepo(db),
    botStore: createBotStore(db, box),
    controls: createTradingControlsRepo(db),
    councilSignals: createCouncilSignalsRepo(db),
    executions: createExecutionsRepo(db),
    exitIntents: createExitIntentsRepo(db),
    orders: createOrdersRepo(db),
    outbox: createOutboxRepo(db),
    paperStore: createDrizzlePaperStore(db),
    positions: createPositionsRepo(db),
    recipients: createRecipientsRepo(db),
    reevaluations: createReevaluationsRepo(db),
    /** the settings the engine trades by (defaults filled in) */
    settings: createTradingSettingsReader(db),
    signalInputs: createSignalInputsRepo(db),
    signals: createSignalsRepo(db),
    trades: createTradesRepo(db),
    /** the trader's own settings rows, as /settings edits them */
    traderSettings: createSettingsRepo(db),
    users: createUsersRepo(db),
    webhooks: createWebhooksRepo(db, box),
  };
}

export type Repos = ReturnType<typeof createRepos>;
