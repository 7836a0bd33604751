import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { FileImageStore } from './file-image-store.js';
import { IMAGE_STORE } from './image-store.js';

@Global()
@Module({
  providers: [{ provide: IMAGE_STORE, inject: [APP_CONFIG], useFactory: (config: AppConfig) => new FileImageStore(config.STORAGE_DIR) }],
  exports: [IMAGE_STORE],
})
export class StorageModule {}
