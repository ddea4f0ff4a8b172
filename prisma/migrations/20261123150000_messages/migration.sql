-- CreateEnum
CREATE TYPE "app"."message_role" AS ENUM ('USER', 'ASSISTANT', 'SYSTEM', 'TOOL');

-- CreateTable
CREATE TABLE "app"."message" (
    "id" UUID NOT NULL,
    "conversation_id" UUID NOT NULL,
    "chat_session_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "role" "app"."message_role" NOT NULL,
    "text" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "tool_data" JSONB,
    "follow_up_actions" JSONB,
    "metadata" JSONB,

    CONSTRAINT "message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "app"."message_deletion_outbox" (
    "id" UUID NOT NULL,
    "conversation_id" UUID NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" VARCHAR(1000),
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "message_deletion_outbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "message_chat_session_id_created_at_id_idx" ON "app"."message"("chat_session_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "message_conversation_id_created_at_id_idx" ON "app"."message"("conversation_id", "created_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "message_deletion_outbox_conversation_id_key" ON "app"."message_deletion_outbox"("conversation_id");

-- CreateIndex
CREATE INDEX "message_deletion_outbox_next_attempt_at_idx" ON "app"."message_deletion_outbox"("next_attempt_at");
