package dev.kasoku.launcher.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.AccessTarget;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaFieldAccess;
import com.tngtech.archunit.core.domain.JavaMethodCall;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import io.vertx.core.eventbus.EventBus;
import java.util.List;
import java.util.Set;

/**
 * The architecture of Kasoku as rules over compiled classes, so that a change which breaks one
 * fails the build instead of waiting for a reviewer to notice:
 *
 * <ul>
 *   <li>services meet on the event bus, in the store or over HTTP, never in each other's classes;</li>
 *   <li>services use the store through its interfaces, never an implementation
 *       ({@code common.store.embedded}, {@code common.store.redis}, {@code common.store.impl});</li>
 *   <li>the shared kernel's packages form no cycle (each can be understood, and tested, without the
 *       ones that depend on it);</li>
 *   <li>only {@code common.bus} talks to the {@link EventBus} with an address: everyone else goes
 *       through the typed channels of {@code common.bus.Addresses}, so every address is declared in
 *       one class;</li>
 *   <li>main code writes nothing to {@code System.out}/{@code System.err} and calls no
 *       {@code printStackTrace()}: everything goes through the logger, one line per record with a
 *       UTC timestamp. The one exception is {@code Main.main}'s line for a bad configuration, which
 *       must reach the operator even when logging itself is misconfigured.</li>
 * </ul>
 *
 * <p>{@code ArchitectureRulesTest} checks the real code against them, and checks each rule against
 * a deliberate violation (classes under {@code archfixture} packages in the test tree) so that a
 * rule that could never fail is noticed.
 */
final class ArchitectureRules {
  /** The service modules' root packages. */
  static final List<String> SERVICES = List.of(
      "dev.kasoku.cacheedge", "dev.kasoku.purge", "dev.kasoku.auth", "dev.kasoku.config",
      "dev.kasoku.logging", "dev.kasoku.metrics", "dev.kasoku.portal");

  private static final Set<String> ADDRESSED_BUS_METHODS =
      Set.of("send", "publish", "request", "consumer", "localConsumer", "sender", "publisher");
  /** The one method allowed to print: the bad-configuration line at start-up. */
  private static final String START_UP_LINE = "dev.kasoku.launcher.Main.main";

  private ArchitectureRules() {}

  /** Classes of one service depend on no class of another service. */
  static ArchRule serviceIndependent(String service) {
    String[] others = SERVICES.stream().filter(s -> !s.equals(service)).map(s -> s + "..").toArray(String[]::new);
    return noClasses().that().resideInAPackage(service + "..")
        .should().dependOnClassesThat().resideInAnyPackage(others)
        .because("services meet on the event bus, in the store or over HTTP, never in each other's classes");
  }

  static final ArchRule NO_STORE_IMPLEMENTATION_OUTSIDE_COMMON = noClasses()
      .that().resideOutsideOfPackage("dev.kasoku.common..")
      .and().resideOutsideOfPackage("dev.kasoku.launcher..")
      .should().dependOnClassesThat().resideInAnyPackage(
          "dev.kasoku.common.store.embedded..", "dev.kasoku.common.store.redis..", "dev.kasoku.common.store.impl..")
      .because("services use the store through its interfaces; the launcher opens it with StoreFactory");

  static final ArchRule NO_CYCLES_IN_COMMON = slices().matching("dev.kasoku.common.(**)")
      .should().beFreeOfCycles()
      .because("the shared kernel's packages are layered");

  static final ArchRule ADDRESSES_ONLY_IN_BUS = noClasses()
      .that().resideOutsideOfPackage("dev.kasoku.common.bus")
      .should(callAddressedBusMethod())
      .because("every event-bus address is declared once, as a typed channel in common.bus.Addresses");

  static final ArchRule NO_CONSOLE_OUTPUT = noClasses()
      .should(printOutsideTheStartUpLine())
      .because("main code logs through the logger (one line per record, UTC timestamps), never the console");

  private static ArchCondition<JavaClass> callAddressedBusMethod() {
    return new ArchCondition<>("call an EventBus method that takes an address") {
      @Override
      public void check(JavaClass item, ConditionEvents events) {
        for (JavaMethodCall call : item.getMethodCallsFromSelf()) {
          AccessTarget.MethodCallTarget target = call.getTarget();
          if (target.getOwner().isAssignableTo(EventBus.class) && ADDRESSED_BUS_METHODS.contains(target.getName())) {
            events.add(SimpleConditionEvent.satisfied(call, call.getDescription()));
          }
        }
      }
    };
  }

  private static ArchCondition<JavaClass> printOutsideTheStartUpLine() {
    DescribedPredicate<JavaAccess<?>> fromStartUpLine = DescribedPredicate.describe("the start-up line",
        access -> access.getOrigin().getFullName().startsWith(START_UP_LINE + "("));
    return new ArchCondition<>("write to System.out/System.err or call printStackTrace()") {
      @Override
      public void check(JavaClass item, ConditionEvents events) {
        for (JavaFieldAccess access : item.getFieldAccessesFromSelf()) {
          if (access.getTargetOwner().isEquivalentTo(System.class)
              && (access.getName().equals("out") || access.getName().equals("err"))
              && !fromStartUpLine.test(access)) {
            events.add(SimpleConditionEvent.satisfied(access, access.getDescription()));
          }
        }
        for (JavaMethodCall call : item.getMethodCallsFromSelf()) {
          if (call.getName().equals("printStackTrace") && call.getTargetOwner().isAssignableTo(Throwable.class)) {
            events.add(SimpleConditionEvent.satisfied(call, call.getDescription()));
          }
        }
      }
    };
  }
}
