import { openFreshPgliteStore } from '../storage/fresh-pglite.ts';
import { describeIsolationMatrix } from './isolation-matrix.case.ts';

describeIsolationMatrix('PGlite', { open: openFreshPgliteStore });
