-- pgvector, written by hand: the schema cannot declare it without a preview feature the WASM engine lacks.
CREATE EXTENSION IF NOT EXISTS vector;

-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "app";

-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "cache";

-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "rag";

-- CreateEnum
CREATE TYPE "app"."user_type" AS ENUM ('TEENAGER', 'PARENT');

-- CreateEnum
CREATE TYPE "app"."age_class" AS ENUM ('CHILD', 'PRETEEN', 'TEENAGER', 'ADULT');

-- CreateEnum
CREATE TYPE "app"."idp" AS ENUM ('MOCK_IDP');

-- CreateEnum
CREATE TYPE "app"."session_scope" AS ENUM ('ONBOARDING', 'PENDING_CONSENT', 'FULL');

-- CreateEnum
CREATE TYPE "app"."conversation_type" AS ENUM ('INCIDENT', 'GENERAL');

-- CreateEnum
CREATE TYPE "app"."collective_type" AS ENUM ('FAMILY', 'CLASS', 'SCHOOL', 'OTHER');

-- CreateEnum
CREATE TYPE "app"."membership_role" AS ENUM ('OWNER', 'ADMIN', 'MEMBER');

-- CreateEnum
CREATE TYPE "app"."invitation_status" AS ENUM ('PENDING', 'ACTIVE', 'ACCEPTED', 'EXPIRED', 'REVOKED');

-- CreateEnum
CREATE TYPE "app"."authorization_request_status" AS ENUM ('PENDING', 'GRANTED', 'DECLINED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "app"."flag_environment" AS ENUM ('DEVELOPMENT', 'STAGING', 'PRODUCTION', 'ALL');

-- CreateEnum
CREATE TYPE "app"."flag_visibility" AS ENUM ('FRONTEND', 'BACKEND', 'ALL');

-- CreateEnum
CREATE TYPE "app"."flag_variant" AS ENUM ('TEENAGER', 'PARENT', 'ALL');

-- CreateEnum
CREATE TYPE "app"."content_category" AS ENUM ('PROMPTS', 'PROMPT_SNIPPETS', 'UI_MESSAGES', 'CONTEXT_QUESTIONS', 'TOOLS');

-- CreateEnum
CREATE TYPE "rag"."document_collection" AS ENUM ('YOUTH', 'ADULT');

-- CreateTable
CREATE TABLE "app"."user" (
    "id" UUID NOT NULL,
    "user_type" "app"."user_type" NOT NULL,
    "language" VARCHAR(2),
    "age_class" "app"."age_class",
    "country" VARCHAR(2),
    "school" VARCHAR(200),
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(6),

    CONSTRAINT "user_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "app"."idp_login" (
    "idp" "app"."idp" NOT NULL,
    "login_id" VARCHAR(255) NOT NULL,
    "user_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idp_login_pkey" PRIMARY KEY ("idp","login_id")
);

-- CreateTable
CREATE TABLE "app"."app_session" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "origin" VARCHAR(50) NOT NULL,
    "scope" "app"."session_scope" NOT NULL DEFAULT 'ONBOARDING',
    "capabilities" JSONB NOT NULL DEFAULT '{}',
    "token_hash" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_active_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "app_session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "app"."conversation" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "title" VARCHAR(200),
    "conversation_type" "app"."conversation_type" NOT NULL,
    "summary" TEXT,
    "current_monster" VARCHAR(50),
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "conversation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "app"."chat_session" (
    "id" UUID NOT NULL,
    "conversation_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "chat_session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "app"."collective" (
    "id" UUID NOT NULL,
    "name" VARCHAR(120) NOT NULL,
    "type" "app"."collective_type" NOT NULL,
    "parent_id" UUID,
    "parental_consent_granted" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "collective_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "app"."collective_membership" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "collective_id" UUID NOT NULL,
    "role" "app"."membership_role" NOT NULL DEFAULT 'MEMBER',
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "collective_membership_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "app"."invitation" (
    "id" UUID NOT NULL,
    "collective_id" UUID NOT NULL,
    "inviter_id" UUID NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL,
    "age_class" "app"."age_class",
    "language" VARCHAR(2) NOT NULL,
    "label" VARCHAR(120),
    "usage_limit" INTEGER,
    "current_uses" INTEGER NOT NULL DEFAULT 0,
    "status" "app"."invitation_status" NOT NULL DEFAULT 'PENDING',
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,
    "accepted_at" TIMESTAMPTZ(6),
    "accepted_by" UUID,

    CONSTRAINT "invitation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "app"."user_consent" (
    "id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "consent_ip" VARCHAR(45),
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "user_consent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "app"."parental_consent" (
    "parent_id" UUID NOT NULL,
    "teenager_id" UUID NOT NULL,
    "consent_ip" VARCHAR(45),
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "parental_consent_pkey" PRIMARY KEY ("parent_id","teenager_id")
);

-- CreateTable
CREATE TABLE "app"."parental_authorization_request" (
    "id" UUID NOT NULL,
    "teenager_id" UUID NOT NULL,
    "parent_contact" VARCHAR(255),
    "parent_id" UUID,
    "status" "app"."authorization_request_status" NOT NULL DEFAULT 'PENDING',
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolved_at" TIMESTAMPTZ(6),

    CONSTRAINT "parental_authorization_request_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "app"."feature_flag" (
    "id" UUID NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "is_enabled" BOOLEAN NOT NULL DEFAULT false,
    "environment" "app"."flag_environment" NOT NULL DEFAULT 'ALL',
    "visibility" "app"."flag_visibility" NOT NULL DEFAULT 'ALL',
    "variant" "app"."flag_variant" NOT NULL DEFAULT 'ALL',
    "targeting_rules" JSONB,

    CONSTRAINT "feature_flag_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "app"."localized_content" (
    "category" "app"."content_category" NOT NULL,
    "language" VARCHAR(2) NOT NULL,
    "variant" VARCHAR(10) NOT NULL,
    "key" VARCHAR(200) NOT NULL,
    "value" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "localized_content_pkey" PRIMARY KEY ("category","language","variant","key")
);

-- CreateTable
CREATE TABLE "app"."feedback" (
    "id" UUID NOT NULL,
    "session_id" UUID NOT NULL,
    "rating" SMALLINT NOT NULL,
    "comment" VARCHAR(2000),
    "is_positive" BOOLEAN NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "feedback_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "app"."api_key" (
    "id" UUID NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "key_hash" VARCHAR(64) NOT NULL,
    "permissions" JSONB NOT NULL DEFAULT '[]',
    "is_active" BOOLEAN NOT NULL DEFAULT true,
    "expires_at" TIMESTAMPTZ(6),
    "last_used_at" TIMESTAMPTZ(6),
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rag"."document" (
    "id" UUID NOT NULL,
    "collection" "rag"."document_collection" NOT NULL,
    "title" VARCHAR(300) NOT NULL,
    "source" VARCHAR(500) NOT NULL,
    "language" VARCHAR(2) NOT NULL,
    "content_hash" VARCHAR(64) NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "document_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "rag"."document_chunk" (
    "id" UUID NOT NULL,
    "document_id" UUID NOT NULL,
    "ordinal" INTEGER NOT NULL,
    "content" TEXT NOT NULL,
    "content_hash" VARCHAR(64) NOT NULL,
    "embedding" vector(384),

    CONSTRAINT "document_chunk_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cache"."embedding_cache" (
    "key" VARCHAR(64) NOT NULL,
    "model" VARCHAR(200) NOT NULL,
    "embedding" vector,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "embedding_cache_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "cache"."rag_cache" (
    "id" VARCHAR(32) NOT NULL,
    "query" TEXT NOT NULL,
    "user_type" VARCHAR(20) NOT NULL,
    "embedding" vector,
    "document_ids" TEXT[],
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "hit_count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "rag_cache_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "idp_login_user_id_idx" ON "app"."idp_login"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "app_session_token_hash_key" ON "app"."app_session"("token_hash");

-- CreateIndex
CREATE INDEX "app_session_user_id_idx" ON "app"."app_session"("user_id");

-- CreateIndex
CREATE INDEX "conversation_user_id_updated_at_idx" ON "app"."conversation"("user_id", "updated_at" DESC);

-- CreateIndex
CREATE INDEX "chat_session_conversation_id_created_at_idx" ON "app"."chat_session"("conversation_id", "created_at");

-- CreateIndex
CREATE INDEX "collective_parent_id_idx" ON "app"."collective"("parent_id");

-- CreateIndex
CREATE INDEX "collective_membership_collective_id_role_idx" ON "app"."collective_membership"("collective_id", "role");

-- CreateIndex
CREATE UNIQUE INDEX "collective_membership_user_id_collective_id_key" ON "app"."collective_membership"("user_id", "collective_id");

-- CreateIndex
CREATE UNIQUE INDEX "invitation_token_hash_key" ON "app"."invitation"("token_hash");

-- CreateIndex
CREATE INDEX "invitation_collective_id_created_at_idx" ON "app"."invitation"("collective_id", "created_at");

-- CreateIndex
CREATE INDEX "invitation_inviter_id_idx" ON "app"."invitation"("inviter_id");

-- CreateIndex
CREATE INDEX "user_consent_user_id_idx" ON "app"."user_consent"("user_id");

-- CreateIndex
CREATE INDEX "parental_consent_teenager_id_idx" ON "app"."parental_consent"("teenager_id");

-- CreateIndex
CREATE INDEX "parental_authorization_request_teenager_id_status_idx" ON "app"."parental_authorization_request"("teenager_id", "status");

-- CreateIndex
CREATE INDEX "parental_authorization_request_parent_id_idx" ON "app"."parental_authorization_request"("parent_id");

-- CreateIndex
CREATE UNIQUE INDEX "feature_flag_name_key" ON "app"."feature_flag"("name");

-- CreateIndex
CREATE INDEX "feedback_session_id_idx" ON "app"."feedback"("session_id");

-- CreateIndex
CREATE UNIQUE INDEX "api_key_key_hash_key" ON "app"."api_key"("key_hash");

-- CreateIndex
CREATE INDEX "document_collection_language_idx" ON "rag"."document"("collection", "language");

-- CreateIndex
CREATE UNIQUE INDEX "document_collection_source_key" ON "rag"."document"("collection", "source");

-- CreateIndex
CREATE UNIQUE INDEX "document_chunk_document_id_ordinal_key" ON "rag"."document_chunk"("document_id", "ordinal");

-- CreateIndex
CREATE INDEX "rag_cache_user_type_created_at_idx" ON "cache"."rag_cache"("user_type", "created_at");

-- AddForeignKey
ALTER TABLE "app"."idp_login" ADD CONSTRAINT "idp_login_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app"."user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app"."app_session" ADD CONSTRAINT "app_session_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app"."user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app"."conversation" ADD CONSTRAINT "conversation_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app"."user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app"."chat_session" ADD CONSTRAINT "chat_session_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "app"."conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app"."collective" ADD CONSTRAINT "collective_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "app"."collective"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app"."collective_membership" ADD CONSTRAINT "collective_membership_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app"."user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app"."collective_membership" ADD CONSTRAINT "collective_membership_collective_id_fkey" FOREIGN KEY ("collective_id") REFERENCES "app"."collective"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app"."invitation" ADD CONSTRAINT "invitation_collective_id_fkey" FOREIGN KEY ("collective_id") REFERENCES "app"."collective"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app"."invitation" ADD CONSTRAINT "invitation_inviter_id_fkey" FOREIGN KEY ("inviter_id") REFERENCES "app"."user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app"."invitation" ADD CONSTRAINT "invitation_accepted_by_fkey" FOREIGN KEY ("accepted_by") REFERENCES "app"."user"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app"."user_consent" ADD CONSTRAINT "user_consent_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "app"."user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app"."parental_consent" ADD CONSTRAINT "parental_consent_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "app"."user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app"."parental_consent" ADD CONSTRAINT "parental_consent_teenager_id_fkey" FOREIGN KEY ("teenager_id") REFERENCES "app"."user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app"."parental_authorization_request" ADD CONSTRAINT "parental_authorization_request_teenager_id_fkey" FOREIGN KEY ("teenager_id") REFERENCES "app"."user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "app"."parental_authorization_request" ADD CONSTRAINT "parental_authorization_request_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "app"."user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rag"."document_chunk" ADD CONSTRAINT "document_chunk_document_id_fkey" FOREIGN KEY ("document_id") REFERENCES "rag"."document"("id") ON DELETE CASCADE ON UPDATE CASCADE;
