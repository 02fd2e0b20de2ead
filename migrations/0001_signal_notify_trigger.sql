-- Tell the engine about every new signal at once (LISTEN trading_signals_insert); the 300 s sweep is the safety net.
CREATE OR REPLACE FUNCTION notify_trading_signal_insert() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('trading_signals_insert', NEW.id::text);
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
DROP TRIGGER IF EXISTS trading_signals_notify ON trading_signals;
--> statement-breakpoint
CREATE TRIGGER trading_signals_notify AFTER INSERT ON trading_signals
  FOR EACH ROW EXECUTE FUNCTION notify_trading_signal_insert();
