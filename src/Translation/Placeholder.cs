namespace Mesh.Translation;
