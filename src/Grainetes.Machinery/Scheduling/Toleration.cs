namespace Grainetes.Machinery.Scheduling;

/// <summary>A pod toleration, matched against taints as Kubernetes' <c>ToleratesTaint</c> does.</summary>
public sealed record Toleration(string Key, string Operator, string Value, string Effect)
{
    public bool Tolerates(Taint taint)
    {
        if (Effect.Length > 0 && Effect != taint.Effect)
        {
            return false;
        }

        // An empty key with Exists tolerates every taint; validation forbids an empty key with Equal.
        if (Key.Length > 0 && Key != taint.Key)
        {
            return false;
        }

        return Operator switch
        {
            "Exists" => true,
            "" or "Equal" => Value == taint.Value,
            _ => false,
        };
    }
}
