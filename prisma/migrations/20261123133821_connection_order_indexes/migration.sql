-- DropIndex
DROP INDEX "app"."chat_session_conversation_id_created_at_idx";

-- DropIndex
DROP INDEX "app"."collective_membership_collective_id_role_idx";

-- DropIndex
DROP INDEX "app"."conversation_user_id_updated_at_idx";

-- CreateIndex
CREATE INDEX "chat_session_conversation_id_created_at_id_idx" ON "app"."chat_session"("conversation_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "collective_membership_collective_id_created_at_id_idx" ON "app"."collective_membership"("collective_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "collective_membership_collective_id_role_created_at_id_idx" ON "app"."collective_membership"("collective_id", "role", "created_at", "id");

-- CreateIndex
CREATE INDEX "conversation_user_id_updated_at_id_idx" ON "app"."conversation"("user_id", "updated_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "feedback_created_at_id_idx" ON "app"."feedback"("created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "user_created_at_id_idx" ON "app"."user"("created_at", "id");
