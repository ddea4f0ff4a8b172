-- CreateEnum
CREATE TYPE "app"."notification_kind" AS ENUM ('PARENTAL_CONSENT_CODE');

-- AlterEnum

-- This migration adds more than one value to an enum.

-- With PostgreSQL versions 11 and earlier, this is not possible

-- in a single migration. This can be worked around by creating

-- multiple migrations, each migration adding only one value to

-- the enum.


ALTER TYPE "app"."authorization_request_status" ADD VALUE 'LOCKED';
ALTER TYPE "app"."authorization_request_status" ADD VALUE 'EXPIRED';

-- AlterTable
ALTER TABLE "app"."parental_authorization_request" ADD COLUMN     "code_expires_at" TIMESTAMPTZ(6),
ADD COLUMN     "code_hash" VARCHAR(64),
ADD COLUMN     "failed_attempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "language" VARCHAR(2) NOT NULL DEFAULT 'fr';

-- CreateTable
CREATE TABLE "app"."notification_outbox" (
    "id" UUID NOT NULL,
    "kind" "app"."notification_kind" NOT NULL,
    "request_id" UUID NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" VARCHAR(1000),
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "notification_outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "app"."mailbox_message" (
    "id" UUID NOT NULL,
    "kind" "app"."notification_kind" NOT NULL,
    "recipient" VARCHAR(255) NOT NULL,
    "language" VARCHAR(2) NOT NULL,
    "subject" VARCHAR(300) NOT NULL,
    "text" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "mailbox_message_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "notification_outbox_request_id_key" ON "app"."notification_outbox"("request_id");

-- CreateIndex
CREATE INDEX "notification_outbox_next_attempt_at_idx" ON "app"."notification_outbox"("next_attempt_at");

-- CreateIndex
CREATE INDEX "mailbox_message_recipient_created_at_idx" ON "app"."mailbox_message"("recipient", "created_at");

-- CreateIndex
CREATE INDEX "mailbox_message_created_at_id_idx" ON "app"."mailbox_message"("created_at", "id");

-- AddForeignKey
ALTER TABLE "app"."notification_outbox" ADD CONSTRAINT "notification_outbox_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "app"."parental_authorization_request"("id") ON DELETE CASCADE ON UPDATE CASCADE;
