import { sonaVitest } from '../../tools/vitest-preset';

export default sonaVitest();
