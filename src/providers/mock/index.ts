export { createMockProvider, type MockProvider } from './provider.js';
export { findMockModel, type MockModel, type MockNominalPrice, mockModels } from './models.js';
