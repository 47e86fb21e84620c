-- A prometheus probe's sample carries the query's value beside how long the query took.
ALTER TABLE "ProbeSample" ADD COLUMN "value" DOUBLE PRECISION;
