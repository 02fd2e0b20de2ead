CREATE TABLE "exit_backoffs" (
	"position_id" uuid PRIMARY KEY NOT NULL,
	"until" timestamp with time zone NOT NULL,
	"delay_ms" integer NOT NULL,
	"last_error" text
);
--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "sent_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "exit_backoffs" ADD CONSTRAINT "exit_backoffs_position_id_positions_id_fk" FOREIGN KEY ("position_id") REFERENCES "public"."positions"("id") ON DELETE cascade ON UPDATE no action;