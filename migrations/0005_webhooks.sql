CREATE TABLE "signal_inputs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"source" varchar(32) NOT NULL,
	"signal_id" uuid,
	"status" varchar(16) NOT NULL,
	"reasons" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"fingerprint" varchar(64),
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_hooks" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"hook_hash" varchar(64) NOT NULL,
	"key_id" varchar(32) NOT NULL,
	"hook_enc" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"rotated_at" timestamp with time zone,
	CONSTRAINT "webhook_hooks_hook_hash_unique" UNIQUE("hook_hash")
);
--> statement-breakpoint
ALTER TABLE "signal_inputs" ADD CONSTRAINT "signal_inputs_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signal_inputs" ADD CONSTRAINT "signal_inputs_signal_id_trading_signals_id_fk" FOREIGN KEY ("signal_id") REFERENCES "public"."trading_signals"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_hooks" ADD CONSTRAINT "webhook_hooks_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "signal_inputs_user_idx" ON "signal_inputs" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "signal_inputs_signal_idx" ON "signal_inputs" USING btree ("signal_id");