CREATE TABLE "alert_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" uuid,
	"chat_id" bigint NOT NULL,
	"kind" varchar(32) NOT NULL,
	"payload" jsonb NOT NULL,
	"dedupe_key" text,
	"silent" boolean DEFAULT false NOT NULL,
	"status" varchar(16) DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"telegram_message_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"exchange" varchar(32) NOT NULL,
	"mode" varchar(16) NOT NULL,
	"label" text,
	"is_paper" boolean DEFAULT false NOT NULL,
	"key_id" varchar(32),
	"api_key_enc" text,
	"api_secret_enc" text,
	"passphrase_enc" text,
	"api_key_hint" varchar(8),
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"actor_telegram_id" bigint,
	"actor_user_id" uuid,
	"action" varchar(64) NOT NULL,
	"target" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bot_storage" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"position_id" uuid,
	"signal_id" uuid,
	"client_order_id" varchar(64) NOT NULL,
	"exchange_order_id" text,
	"symbol" varchar NOT NULL,
	"side" varchar(8) NOT NULL,
	"type" varchar(16) NOT NULL,
	"purpose" varchar(24) NOT NULL,
	"qty" numeric(38, 18) NOT NULL,
	"price" numeric(38, 18),
	"filled_qty" numeric(38, 18) DEFAULT '0' NOT NULL,
	"avg_price" numeric(38, 18),
	"fee" numeric(38, 18) DEFAULT '0' NOT NULL,
	"fee_currency" varchar(16),
	"reduce_only" boolean DEFAULT false NOT NULL,
	"status" varchar(16) NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "paper_balances" (
	"account_id" uuid NOT NULL,
	"currency" varchar(16) NOT NULL,
	"total" numeric(38, 18) NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "paper_balances_account_id_currency_pk" PRIMARY KEY("account_id","currency")
);
--> statement-breakpoint
CREATE TABLE "paper_orders" (
	"account_id" uuid NOT NULL,
	"client_order_id" varchar(64) NOT NULL,
	"order_id" varchar(64) NOT NULL,
	"symbol" varchar NOT NULL,
	"side" varchar(8) NOT NULL,
	"type" varchar(16) NOT NULL,
	"qty" numeric(38, 18) NOT NULL,
	"price" numeric(38, 18),
	"avg_price" numeric(38, 18),
	"filled_qty" numeric(38, 18) DEFAULT '0' NOT NULL,
	"fee" numeric(38, 18) DEFAULT '0' NOT NULL,
	"reduce_only" boolean DEFAULT false NOT NULL,
	"status" varchar(16) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "paper_orders_account_id_client_order_id_pk" PRIMARY KEY("account_id","client_order_id")
);
--> statement-breakpoint
CREATE TABLE "paper_positions" (
	"account_id" uuid NOT NULL,
	"symbol" varchar NOT NULL,
	"side" varchar(8) NOT NULL,
	"qty" numeric(38, 18) NOT NULL,
	"entry_price" numeric(38, 18) NOT NULL,
	"leverage" numeric DEFAULT '1' NOT NULL,
	"margin" numeric(38, 18) DEFAULT '0' NOT NULL,
	"liquidation_price" numeric(38, 18),
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "paper_positions_account_id_symbol_pk" PRIMARY KEY("account_id","symbol")
);
--> statement-breakpoint
CREATE TABLE "position_reevaluations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"position_id" uuid NOT NULL,
	"reevaluation_type" varchar(32) NOT NULL,
	"old_sl" numeric(38, 18),
	"new_sl" numeric(38, 18),
	"old_tp" numeric(38, 18),
	"new_tp" numeric(38, 18),
	"old_trailing" numeric(38, 18),
	"new_trailing" numeric(38, 18),
	"reason" text,
	"action_taken" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "positions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"signal_id" uuid,
	"exchange" varchar(32) NOT NULL,
	"symbol" varchar NOT NULL,
	"side" varchar(8) NOT NULL,
	"mode" varchar(16) NOT NULL,
	"leverage" numeric DEFAULT '1' NOT NULL,
	"entry_price" numeric(38, 18) NOT NULL,
	"qty_initial" numeric(38, 18) NOT NULL,
	"qty" numeric(38, 18) NOT NULL,
	"stop_loss" numeric(38, 18),
	"take_profit" numeric(38, 18),
	"trailing_active" boolean DEFAULT false NOT NULL,
	"peak" numeric(38, 18),
	"trailing_stop" numeric(38, 18),
	"partial_taken" jsonb DEFAULT '[false,false,false]'::jsonb NOT NULL,
	"liquidation_price" numeric(38, 18),
	"monitor_state" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" varchar(16) DEFAULT 'open' NOT NULL,
	"close_reason" varchar(32),
	"realized_pnl" numeric(38, 18) DEFAULT '0' NOT NULL,
	"fees_paid" numeric(38, 18) DEFAULT '0' NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signal_executions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"signal_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"account_id" uuid,
	"status" varchar(16) NOT NULL,
	"reasons" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"position_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "system_state" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "trades" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"account_id" uuid,
	"position_id" uuid,
	"symbol" varchar NOT NULL,
	"side" varchar NOT NULL,
	"quantity" numeric(38, 18) NOT NULL,
	"entry_price" numeric(38, 18) NOT NULL,
	"exit_price" numeric(38, 18),
	"stop_loss" numeric(38, 18),
	"take_profit" numeric(38, 18),
	"pnl" numeric(38, 18),
	"fee" numeric(38, 18) DEFAULT '0' NOT NULL,
	"close_reason" varchar,
	"source" varchar,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "trading_settings" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"risk_level" integer DEFAULT 5 NOT NULL,
	"risk_per_trade" numeric DEFAULT '2' NOT NULL,
	"max_position" numeric(38, 18) DEFAULT '1000' NOT NULL,
	"stop_loss_pct" numeric DEFAULT '2' NOT NULL,
	"take_profit_pct" numeric DEFAULT '10' NOT NULL,
	"leverage" integer DEFAULT 1 NOT NULL,
	"trailing_enabled" boolean DEFAULT true NOT NULL,
	"partial_tp_enabled" boolean DEFAULT true NOT NULL,
	"max_positions" integer DEFAULT 5 NOT NULL,
	"mode" varchar(16) DEFAULT 'spot' NOT NULL,
	"trailing_activation_pct" numeric DEFAULT '0.5' NOT NULL,
	"trailing_distance_pct" numeric DEFAULT '1' NOT NULL,
	"partial_tp_levels" jsonb DEFAULT '[[1,0.25],[2,0.5],[3,0.75]]'::jsonb NOT NULL,
	"max_hold_hours" numeric DEFAULT '12' NOT NULL,
	"daily_trade_limit" integer DEFAULT 15 NOT NULL,
	"hourly_trade_limit" integer DEFAULT 5 NOT NULL,
	"extra" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "trading_signals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"symbol" varchar NOT NULL,
	"action" varchar NOT NULL,
	"confidence" double precision,
	"source" varchar NOT NULL,
	"reasoning" text,
	"user_id" uuid,
	"stop_loss" double precision,
	"take_profit" double precision,
	"expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"telegram_id" bigint NOT NULL,
	"chat_id" bigint NOT NULL,
	"username" text,
	"first_name" text,
	"email" text,
	"paused" boolean DEFAULT false NOT NULL,
	"notify_prefs" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_telegram_id_unique" UNIQUE("telegram_id")
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_account_id_api_keys_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "paper_balances" ADD CONSTRAINT "paper_balances_account_id_api_keys_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "paper_orders" ADD CONSTRAINT "paper_orders_account_id_api_keys_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "paper_positions" ADD CONSTRAINT "paper_positions_account_id_api_keys_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "position_reevaluations" ADD CONSTRAINT "position_reevaluations_position_id_positions_id_fk" FOREIGN KEY ("position_id") REFERENCES "public"."positions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "positions" ADD CONSTRAINT "positions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "positions" ADD CONSTRAINT "positions_account_id_api_keys_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signal_executions" ADD CONSTRAINT "signal_executions_signal_id_trading_signals_id_fk" FOREIGN KEY ("signal_id") REFERENCES "public"."trading_signals"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signal_executions" ADD CONSTRAINT "signal_executions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signal_executions" ADD CONSTRAINT "signal_executions_account_id_api_keys_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."api_keys"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trades" ADD CONSTRAINT "trades_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trading_settings" ADD CONSTRAINT "trading_settings_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "alert_outbox_dedupe_uq" ON "alert_outbox" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "alert_outbox_pending_idx" ON "alert_outbox" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "api_keys_user_idx" ON "api_keys" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "audit_log_created_idx" ON "audit_log" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "orders_client_order_id_uq" ON "orders" USING btree ("account_id","client_order_id");--> statement-breakpoint
CREATE INDEX "orders_status_idx" ON "orders" USING btree ("status");--> statement-breakpoint
CREATE INDEX "orders_position_idx" ON "orders" USING btree ("position_id");--> statement-breakpoint
CREATE INDEX "position_reevaluations_position_idx" ON "position_reevaluations" USING btree ("position_id");--> statement-breakpoint
CREATE INDEX "positions_status_symbol_idx" ON "positions" USING btree ("status","exchange","symbol");--> statement-breakpoint
CREATE INDEX "positions_user_status_idx" ON "positions" USING btree ("user_id","status");--> statement-breakpoint
CREATE INDEX "positions_account_idx" ON "positions" USING btree ("account_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "signal_executions_user_signal_uq" ON "signal_executions" USING btree ("user_id","signal_id");--> statement-breakpoint
CREATE INDEX "signal_executions_user_idx" ON "signal_executions" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "trades_user_closed_idx" ON "trades" USING btree ("user_id","closed_at");--> statement-breakpoint
CREATE INDEX "trading_signals_created_idx" ON "trading_signals" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "trading_signals_symbol_idx" ON "trading_signals" USING btree ("symbol","created_at");