export * from '../../src/lib/pss';
