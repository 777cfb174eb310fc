import { runAttachmentFilesCompliance } from './files-compliance.ts';
import { MemoryAttachmentFiles } from './files.ts';

runAttachmentFilesCompliance('MemoryAttachmentFiles', { open: async () => new MemoryAttachmentFiles() });
