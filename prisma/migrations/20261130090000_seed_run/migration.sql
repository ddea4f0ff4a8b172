-- CreateTable
CREATE TABLE "app"."seed_run" (
    "name" VARCHAR(64) NOT NULL,
    "completed_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "seed_run_pkey" PRIMARY KEY ("name")
);

