ALTER TABLE "positions" ADD COLUMN "number" integer;--> statement-breakpoint
UPDATE "positions" AS p SET "number" = n.rn FROM (SELECT "id", row_number() OVER (PARTITION BY "user_id" ORDER BY "opened_at", "id") AS rn FROM "positions") AS n WHERE p."id" = n."id";
