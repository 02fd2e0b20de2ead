/**
 * Where new signal ids come from. The NOTIFY trigger on trading_signals (migration 0001) is the
 * immediate path on both drivers; Supabase Realtime is the same thing for a database reached
 * only through Supabase's API. Either way the sweep catches anything a source missed.
 */
import { SIGNAL_CHANNEL } from '../db/schema.ts';
import type { Database } from '../db/client.ts';

export interface SignalSource {
  readonly name: string;
  start(onSignal: (signalId: string) => void): Promise<void>;
  stop(): Promise<void>;
}

/** LISTEN trading_signals_insert; the payload is the new row's id. */
export function createNotifySource(database: Database): SignalSource {
  let unlisten: (() => Promise<void>) | undefined;
  return {
    name: 'notify',
    async start(onSignal) {
      unlisten = await database.listen(SIGNAL_CHANNEL, (payload) => {
        const id = payload.trim();
        if (id) onSignal(id);
      });
    },
    async stop() {
      const off = unlisten;
      unlisten = undefined;
      if (off) await off().catch(() => {});
    },
  };
}

/**
 * Supabase Realtime (postgres_changes INSERT on public.trading_signals). Needs the table in the
 * supabase_realtime publication and a select policy for the key used; on Node 20 the client
 * needs the `ws` transport. Not testable here (no Supabase service): kept this thin on purpose.
 */
export function createSupabaseSource(options: { url: string; key: string }): SignalSource {
  let stopFn: (() => Promise<void>) | undefined;
  return {
    name: 'supabase',
    async start(onSignal) {
      const { createClient } = await import('@supabase/supabase-js');
      const { default: ws } = await import('ws');
      const client = createClient(options.url, options.key, {
        auth: { persistSession: false },
        realtime: { transport: ws as never },
      });
      const channel = client
        .channel('ase-trading-signals')
        .on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'trading_signals' }, (change: { new: Record<string, unknown> }) => {
          const id = change.new['id'];
          if (typeof id === 'string') onSignal(id);
        })
        .subscribe();
      stopFn = async () => {
        await client.removeChannel(channel);
      };
    },
    async stop() {
      const off = stopFn;
      stopFn = undefined;
      if (off) await off().catch(() => {});
    },
  };
}
