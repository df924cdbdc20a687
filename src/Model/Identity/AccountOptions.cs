using System.ComponentModel.DataAnnotations;

namespace Mesh.Model.Identity;

/// <summary>
/// The region and account this installation stands in for: the configuration section <c>Mesh</c>, written into
/// every ARN and owning every resource created without another account. Both hosts read it through this type.
/// </summary>
public class AccountOptions
{
    public const string Section = "Mesh";

    /// <summary>The region written into ARNs.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Mesh:Region must not be empty (e.g. us-east-1).")]
    [RegularExpression("^[a-z0-9-]+$", ErrorMessage = "Mesh:Region must be a region name of lowercase letters, digits and '-' (e.g. us-east-1).")]
    public string Region { get; set; } = "us-east-1";

    /// <summary>The 12-digit account that owns resources created here and short-form node ids (<c>mesh/m/virtualNode/n</c>).</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Mesh:AccountId must not be empty; it is a 12-digit account id.")]
    [RegularExpression("^[0-9]{12}$", ErrorMessage = "Mesh:AccountId must be 12 digits (e.g. 111122223333).")]
    public string AccountId { get; set; } = "111122223333";
}
