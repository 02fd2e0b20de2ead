ALTER TABLE "api_keys" ADD COLUMN "api_key_fp" varchar(64);--> statement-breakpoint
CREATE INDEX "api_keys_exchange_fp_idx" ON "api_keys" USING btree ("exchange","api_key_fp");