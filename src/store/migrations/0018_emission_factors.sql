-- 0018_emission_factors: loads the factor sets Slate ships, data/factors/*.csv
-- (UK DESNZ 2024, US EPA 2025), through the same importer as
-- `slate factors import` (store/sqlite_carbon.c, store_factors_seed). The
-- statement below only marks the step; the rows come from the hook that
-- migrate() runs for this version inside the same transaction.
SELECT 1;
