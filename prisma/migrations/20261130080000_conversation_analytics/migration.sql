-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "analytics";

-- CreateEnum
CREATE TYPE "analytics"."analytics_mood" AS ENUM ('VERY_NEGATIVE', 'NEGATIVE', 'NEUTRAL', 'POSITIVE', 'VERY_POSITIVE');

-- CreateEnum
CREATE TYPE "analytics"."message_category" AS ENUM ('INSULTS', 'PHYSICAL', 'EXCLUSION', 'RUMOURS', 'CYBERBULLYING', 'IMAGE_SHARING', 'THREATS', 'DISCRIMINATION', 'STRANGER_CONTACT', 'WITNESS', 'WELLBEING', 'OTHER');

-- CreateEnum
CREATE TYPE "analytics"."coping_strategy" AS ENUM ('TALK_TO_TRUSTED_ADULT', 'KEEP_EVIDENCE', 'BLOCK_AND_REPORT', 'ASSERTIVE_RESPONSE', 'PEER_SUPPORT', 'EMOTIONAL_REGULATION', 'SAFETY_PLAN', 'BYSTANDER_ACTION', 'OTHER');

-- CreateEnum
CREATE TYPE "analytics"."answer_type" AS ENUM ('EMPATHY', 'QUESTION', 'INFORMATION', 'ADVICE', 'RESOURCE_REFERRAL', 'ESCALATION', 'OTHER');

-- CreateTable
CREATE TABLE "analytics"."conversation_analytics" (
    "id" UUID NOT NULL,
    "conversation_id" UUID NOT NULL,
    "chatbot_version" VARCHAR(50) NOT NULL,
    "bullying_message" TEXT,
    "summary" TEXT,
    "mood" "analytics"."analytics_mood",
    "strategy" "analytics"."coping_strategy",
    "language" VARCHAR(2) NOT NULL,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "recorded_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "conversation_analytics_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "analytics"."conversation_messages_categorized" (
    "analytics_id" UUID NOT NULL,
    "message_index" INTEGER NOT NULL,
    "category" "analytics"."message_category" NOT NULL,

    CONSTRAINT "conversation_messages_categorized_pkey" PRIMARY KEY ("analytics_id","message_index","category")
);

-- CreateTable
CREATE TABLE "analytics"."conversation_moods_categorized" (
    "analytics_id" UUID NOT NULL,
    "message_index" INTEGER NOT NULL,
    "mood" "analytics"."analytics_mood" NOT NULL,

    CONSTRAINT "conversation_moods_categorized_pkey" PRIMARY KEY ("analytics_id","message_index")
);

-- CreateTable
CREATE TABLE "analytics"."conversation_strategies_categorized" (
    "analytics_id" UUID NOT NULL,
    "message_index" INTEGER NOT NULL,
    "strategy" "analytics"."coping_strategy" NOT NULL,

    CONSTRAINT "conversation_strategies_categorized_pkey" PRIMARY KEY ("analytics_id","message_index","strategy")
);

-- CreateTable
CREATE TABLE "analytics"."conversation_answer_types_categorized" (
    "analytics_id" UUID NOT NULL,
    "message_index" INTEGER NOT NULL,
    "answer_type" "analytics"."answer_type" NOT NULL,

    CONSTRAINT "conversation_answer_types_categorized_pkey" PRIMARY KEY ("analytics_id","message_index","answer_type")
);

-- CreateTable
CREATE TABLE "analytics"."conversation_analytics_collective" (
    "analytics_id" UUID NOT NULL,
    "collective_id" UUID NOT NULL,
    "direct" BOOLEAN NOT NULL,

    CONSTRAINT "conversation_analytics_collective_pkey" PRIMARY KEY ("analytics_id","collective_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "conversation_analytics_conversation_id_chatbot_version_key" ON "analytics"."conversation_analytics"("conversation_id", "chatbot_version");

-- CreateIndex
CREATE INDEX "conversation_analytics_collective_collective_id_idx" ON "analytics"."conversation_analytics_collective"("collective_id");

-- AddForeignKey
ALTER TABLE "analytics"."conversation_analytics" ADD CONSTRAINT "conversation_analytics_conversation_id_fkey" FOREIGN KEY ("conversation_id") REFERENCES "app"."conversation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "analytics"."conversation_messages_categorized" ADD CONSTRAINT "conversation_messages_categorized_analytics_id_fkey" FOREIGN KEY ("analytics_id") REFERENCES "analytics"."conversation_analytics"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "analytics"."conversation_moods_categorized" ADD CONSTRAINT "conversation_moods_categorized_analytics_id_fkey" FOREIGN KEY ("analytics_id") REFERENCES "analytics"."conversation_analytics"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "analytics"."conversation_strategies_categorized" ADD CONSTRAINT "conversation_strategies_categorized_analytics_id_fkey" FOREIGN KEY ("analytics_id") REFERENCES "analytics"."conversation_analytics"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "analytics"."conversation_answer_types_categorized" ADD CONSTRAINT "conversation_answer_types_categorized_analytics_id_fkey" FOREIGN KEY ("analytics_id") REFERENCES "analytics"."conversation_analytics"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "analytics"."conversation_analytics_collective" ADD CONSTRAINT "conversation_analytics_collective_analytics_id_fkey" FOREIGN KEY ("analytics_id") REFERENCES "analytics"."conversation_analytics"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "analytics"."conversation_analytics_collective" ADD CONSTRAINT "conversation_analytics_collective_collective_id_fkey" FOREIGN KEY ("collective_id") REFERENCES "app"."collective"("id") ON DELETE CASCADE ON UPDATE CASCADE;
