-- Parts held in trust by an industrial community (暂为托管, seed 000 §二(一)2).
ALTER TABLE communities ADD COLUMN trust_areas jsonb NOT NULL DEFAULT '[]';
