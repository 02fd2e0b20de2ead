DROP INDEX "signal_executions_user_signal_uq";--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "margin_mode" varchar(16);--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "enabled" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "trades" ADD COLUMN "dust" numeric(38, 18) DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "signal_executions" ADD CONSTRAINT "signal_executions_user_signal_account_uq" UNIQUE NULLS NOT DISTINCT("user_id","signal_id","account_id");--> statement-breakpoint
-- accounts connected before margin modes were asked traded isolated margin: they keep it
UPDATE "api_keys" SET "margin_mode" = 'isolated' WHERE "mode" <> 'spot';
