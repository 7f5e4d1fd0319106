import { describe, expect, it } from 'vitest';
import * as units from '../../core/contract/units';
import { formatBytes, formatRate, guestOsWords } from '../../renderer/format';

describe('console words', () => {
  it('names guest systems in words, passing names that already are words', () => {
    expect(guestOsWords('windows2019srvnext-64')).toBe('Windows Server 2022');
    expect(guestOsWords('ubuntu-64')).toBe('Ubuntu Linux');
    expect(guestOsWords('debian12-64')).toBe('Debian 12');
    expect(guestOsWords('Microsoft Windows Server 2019 (64-bit)')).toBe('Microsoft Windows Server 2019 (64-bit)');
    expect(guestOsWords(null)).toBe('');
  });

  it('uses one unit system, decimal, everywhere', () => {
    expect(formatBytes(4 * 1024 ** 3)).toBe('4.3 GB'); // 4 GiB of memory
    expect(formatBytes(1_500_000)).toBe('1.5 MB');
    // The console puts sizes in the contract's words, not a copy of them.
    expect(formatBytes).toBe(units.formatBytes);
    expect(formatRate).toBe(units.formatRate);
  });
});
