-- AlterTable
ALTER TABLE "app"."parental_authorization_request" ADD COLUMN     "earlier_code_hashes" VARCHAR(64)[] DEFAULT ARRAY[]::VARCHAR(64)[];
