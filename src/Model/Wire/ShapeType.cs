namespace Mesh.Model.Wire;

public enum ShapeType
{
    Structure,
    List,
    String,
    Integer,
    Long,
    Boolean,
    Timestamp,
    Map,
}
