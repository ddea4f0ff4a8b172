-- Hand-written (listed in src/db/migrate/hand-managed.ts): at most one open authorization
-- request per teenager and parent contact, so concurrent requests cannot duplicate it.
CREATE UNIQUE INDEX IF NOT EXISTS "parental_authorization_request_open_key"
  ON "app"."parental_authorization_request" ("teenager_id", "parent_contact")
  WHERE "status" = 'PENDING';
