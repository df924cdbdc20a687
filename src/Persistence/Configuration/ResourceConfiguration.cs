using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Mesh.Persistence.Configuration;

internal sealed class ResourceConfiguration : IEntityTypeConfiguration<ResourceEntity>
{
    public void Configure(EntityTypeBuilder<ResourceEntity> builder)
    {
        builder.ToTable("resources");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Id).HasColumnName("id").UseIdentityAlwaysColumn();
        builder.Property(r => r.AccountId).HasColumnName("account_id").HasMaxLength(12);
        builder.Property(r => r.MeshName).HasColumnName("mesh_name").HasMaxLength(255).UseCollation("C");
        builder.Property(r => r.Kind).HasColumnName("kind").HasMaxLength(32);
        builder.Property(r => r.ParentName).HasColumnName("parent_name").HasMaxLength(255).UseCollation("C");
        // Byte-wise collation: list order and pagination tokens must not depend on the server's locale.
        builder.Property(r => r.Name).HasColumnName("name").HasMaxLength(255).UseCollation("C");
        builder.Property(r => r.Arn).HasColumnName("arn");
        builder.Property(r => r.Uid).HasColumnName("uid");
        // Checked in every UPDATE's WHERE clause, so concurrent updates can never both win.
        builder.Property(r => r.Version).HasColumnName("version").IsConcurrencyToken();
        builder.Property(r => r.Spec).HasColumnName("spec").HasColumnType("jsonb");
        builder.Property(r => r.Tags).HasColumnName("tags").HasColumnType("jsonb");
        builder.Property(r => r.Refs).HasColumnName("refs");
        builder.Property(r => r.ResourceOwner).HasColumnName("resource_owner").HasMaxLength(12);
        builder.Property(r => r.CreatedAt).HasColumnName("created_at");
        builder.Property(r => r.LastUpdatedAt).HasColumnName("last_updated_at");

        // Names are unique per kind within their parent: the database enforces it, not a read-then-write.
        builder.HasIndex(r => new { r.AccountId, r.MeshName, r.Kind, r.ParentName, r.Name })
            .IsUnique()
            .HasDatabaseName("ux_resources_identity");
        // "Who refers to me?" is answered by ix_resources_mesh_refs, a GIN index on the refs qualified by account and
        // mesh (migration MeshQualifiedRefs): an expression index, created in SQL because EF Core cannot model it.
        // The ARN has no index of its own (migration ArnFoundByIdentity): it is made from the region and the identity,
        // so the identity's index keeps it unique, and a read by ARN finds the row by the identity the ARN names.
    }
}
