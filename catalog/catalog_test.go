package catalog_test

import (
	"context"
	"testing"

	"shop/catalog"
	"shop/errcode"
	"shop/models"
)

const (
	productID  = "00000000-0000-4000-8000-000000000001"
	categoryID = "00000000-0000-4000-8000-000000000002"
	variantID  = "00000000-0000-4000-8000-000000000003"
)

var (
	admin    = models.Caller{UserID: "00000000-0000-4000-8000-0000000000ad", Role: models.RoleAdmin}
	customer = models.Caller{UserID: "00000000-0000-4000-8000-0000000000c1", Role: models.RoleCustomer}
	nobody   = models.Caller{}
)

// fakeStore is both ports over a product and a category, recording what
// reached it.
type fakeStore struct {
	catalog.Reader // nil: a method not written out here is not expected
	catalog.Writer

	product    *models.Product // nil: not found
	notFound   bool            // writes find nothing
	filters    []models.ProductFilter
	page       models.Page
	pageFilter models.ProductFilter
	categories int
	created    models.NewProduct
	patched    models.ProductPatch
	writes     int
}

func notFound() error { return &models.Error{Code: errcode.NotFound, Message: "none"} }

func (f *fakeStore) ListProducts(_ context.Context, page models.Page, pf models.ProductFilter) ([]models.Product, error) {
	f.filters = append(f.filters, pf)
	f.page = page
	return nil, nil
}

func (f *fakeStore) ProductByID(context.Context, string) (*models.Product, error) {
	if f.product == nil {
		return nil, notFound()
	}
	p := *f.product
	return &p, nil
}

func (f *fakeStore) ProductsPage(_ context.Context, _ models.Connection, pf models.ProductFilter) (models.ProductPage, error) {
	f.pageFilter = pf
	return models.ProductPage{}, nil
}

func (f *fakeStore) Categories(context.Context, models.ProductFilter) ([]models.Category, error) {
	f.categories++
	return []models.Category{{ID: categoryID, Name: "Tea", Slug: "tea"}}, nil
}

func (f *fakeStore) CreateProduct(_ context.Context, np models.NewProduct) (*models.Product, error) {
	f.writes++
	f.created = np
	return &models.Product{ID: productID}, nil
}

func (f *fakeStore) UpdateProduct(_ context.Context, _ string, p models.ProductPatch) (*models.Product, error) {
	f.writes++
	f.patched = p
	if f.notFound {
		return nil, notFound()
	}
	return &models.Product{ID: productID}, nil
}

func (f *fakeStore) UpdateCategory(context.Context, string, models.CategoryPatch) (*models.Category, error) {
	f.writes++
	if f.notFound {
		return nil, notFound()
	}
	return &models.Category{ID: categoryID}, nil
}

func (f *fakeStore) DeleteProduct(context.Context, string) (bool, error) {
	f.writes++
	return true, nil
}
func (f *fakeStore) DeleteCategory(context.Context, string) (bool, error) {
	f.writes++
	return true, nil
}
func (f *fakeStore) AdjustStock(context.Context, models.Adjustment) (*models.Product, error) {
	f.writes++
	return &models.Product{ID: productID}, nil
}

func (f *fakeStore) CreateCategory(context.Context, models.NewCategory) (*models.Category, error) {
	f.writes++
	return &models.Category{ID: categoryID}, nil
}

func (f *fakeStore) StockMovements(context.Context, string, string, models.LedgerConnection) (models.MovementPage, error) {
	f.writes++ // counted with the writes: only admins reach it
	return models.MovementPage{}, nil
}

func (f *fakeStore) LowStock(context.Context, int, int) ([]models.Product, error) {
	f.writes++ // as StockMovements
	return nil, nil
}

func (f *fakeStore) LowStockVariants(context.Context, int, int) ([]models.ProductVariant, error) {
	f.writes++ // as StockMovements
	return nil, nil
}

func (f *fakeStore) CreateVariant(context.Context, string, models.VariantDraft, string) (*models.ProductVariant, error) {
	f.writes++
	return &models.ProductVariant{ID: variantID, ProductID: productID}, nil
}

func (f *fakeStore) UpdateVariant(context.Context, string, models.VariantDraft, string) (*models.ProductVariant, error) {
	f.writes++
	return &models.ProductVariant{ID: variantID, ProductID: productID}, nil
}

func (f *fakeStore) DeleteVariant(context.Context, string, string) (bool, error) {
	f.writes++
	return true, nil
}

func (f *fakeStore) SetProductOptions(context.Context, string, models.ProductOptions, string) (*models.ProductStock, error) {
	f.writes++
	return &models.ProductStock{Product: models.Product{ID: productID}}, nil
}

func (f *fakeStore) GenerateVariants(context.Context, string, models.Money, int, string) (*models.ProductStock, error) {
	f.writes++
	return &models.ProductStock{Product: models.Product{ID: productID}}, nil
}

func newService(f *fakeStore) *catalog.Service { return catalog.New(f, f, 100) }

// An inactive product is hidden from shoppers exactly as a missing one.
func TestProductHiddenLikeMissing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := &fakeStore{product: &models.Product{ID: productID, Active: false}}
	s := newService(f)
	for _, c := range []models.Caller{nobody, customer} {
		if p, err := s.Product(ctx, c, productID); p != nil || err != nil {
			t.Fatalf("%+v sees an inactive product: %v, %v", c, p, err)
		}
	}
	if p, err := s.Product(ctx, admin, productID); p == nil || err != nil {
		t.Fatalf("an admin does not see an inactive product: %v, %v", p, err)
	}
	f.product.Active = true
	if p, err := s.Product(ctx, nobody, productID); p == nil || err != nil {
		t.Fatalf("a shopper does not see an active product: %v, %v", p, err)
	}
	f.product = nil
	if p, err := s.Product(ctx, admin, productID); p != nil || err != nil {
		t.Fatalf("a missing product: %v, %v, want nil and no error", p, err)
	}
	if _, err := s.Product(ctx, admin, "nope"); models.ErrorCode(err) != errcode.BadUserInput {
		t.Fatalf("a malformed id: %v, want BAD_USER_INPUT", err)
	}
}

// Lists leave out inactive products but for admins, and pages are bounded.
func TestProductListsAsCallerMaySee(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := &fakeStore{}
	s := newService(f)
	if _, err := s.Products(ctx, customer, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Products(ctx, admin, nil, nil); err != nil {
		t.Fatal(err)
	}
	if len(f.filters) != 2 || f.filters[0].IncludeInactive || !f.filters[1].IncludeInactive {
		t.Fatalf("filters %+v: want inactive products for the admin only", f.filters)
	}
	tooMany, none := 1000, 0
	if _, err := s.Products(ctx, admin, &tooMany, nil); err != nil || f.page.Limit != 100 {
		t.Fatalf("limit past the maximum page size: %+v, %v, want the maximum, 100", f.page, err)
	}
	if _, err := s.Products(ctx, admin, &none, nil); models.ErrorCode(err) != errcode.BadUserInput {
		t.Fatalf("limit 0: %v, want BAD_USER_INPUT", err)
	}
	if _, err := s.ProductsPage(ctx, customer, nil, nil, models.ProductSearch{}); err != nil || f.pageFilter.IncludeInactive {
		t.Fatalf("a shopper's page: filter %+v, %v", f.pageFilter, err)
	}
}

// Every write and admin read refuses anyone but an admin before reaching
// the store.
func TestOnlyAdminsWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	name := "Tea"
	calls := map[string]func(*catalog.Service, models.Caller) error{
		"CreateProduct": func(s *catalog.Service, c models.Caller) error {
			_, err := s.CreateProduct(ctx, c, catalog.NewProduct{Price: 1, StockCount: 1})
			return err
		},
		"UpdateProduct": func(s *catalog.Service, c models.Caller) error {
			_, err := s.UpdateProduct(ctx, c, catalog.ProductUpdate{ID: productID, Details: models.ProductDetails{Name: &name}})
			return err
		},
		"DeleteProduct": func(s *catalog.Service, c models.Caller) error {
			_, err := s.DeleteProduct(ctx, c, productID)
			return err
		},
		"AdjustStock": func(s *catalog.Service, c models.Caller) error {
			_, err := s.AdjustStock(ctx, c, productID, "", 5, "found")
			return err
		},
		"CreateCategory": func(s *catalog.Service, c models.Caller) error {
			_, err := s.CreateCategory(ctx, c, name, nil)
			return err
		},
		"UpdateCategory": func(s *catalog.Service, c models.Caller) error {
			_, err := s.UpdateCategory(ctx, c, categoryID, &name, nil)
			return err
		},
		"DeleteCategory": func(s *catalog.Service, c models.Caller) error {
			_, err := s.DeleteCategory(ctx, c, categoryID)
			return err
		},
		"StockMovements": func(s *catalog.Service, c models.Caller) error {
			_, err := s.StockMovements(ctx, c, productID, "", nil, nil)
			return err
		},
		"LowStock": func(s *catalog.Service, c models.Caller) error { _, err := s.LowStock(ctx, c, nil); return err },
		"CreateVariant": func(s *catalog.Service, c models.Caller) error {
			price := 3.5
			_, err := s.CreateVariant(ctx, c, productID, models.VariantInput{Price: &price})
			return err
		},
		"UpdateVariant": func(s *catalog.Service, c models.Caller) error {
			_, err := s.UpdateVariant(ctx, c, variantID, models.VariantInput{})
			return err
		},
		"DeleteVariant": func(s *catalog.Service, c models.Caller) error {
			_, err := s.DeleteVariant(ctx, c, variantID)
			return err
		},
		"SetProductOptions": func(s *catalog.Service, c models.Caller) error {
			_, err := s.SetProductOptions(ctx, c, productID, []models.ProductOption{{Name: "Size", Values: []string{"S"}}})
			return err
		},
		"GenerateVariants": func(s *catalog.Service, c models.Caller) error {
			_, err := s.GenerateVariants(ctx, c, productID, 1, 1)
			return err
		},
		"LowStockVariants": func(s *catalog.Service, c models.Caller) error { _, err := s.LowStockVariants(ctx, c, nil); return err },
	}
	for name, call := range calls {
		f := &fakeStore{}
		s := newService(f)
		if err := call(s, nobody); models.ErrorCode(err) != errcode.Unauthenticated {
			t.Errorf("%s, anonymous: %v, want UNAUTHENTICATED", name, err)
		}
		if err := call(s, customer); models.ErrorCode(err) != errcode.Forbidden {
			t.Errorf("%s, customer: %v, want FORBIDDEN", name, err)
		}
		if f.writes != 0 {
			t.Errorf("%s reached the store for a caller refused", name)
		}
		if err := call(s, admin); err != nil || f.writes == 0 {
			t.Errorf("%s, admin: %v, %d calls", name, err, f.writes)
		}
	}
}

// A write records who made it, and an update of something missing is
// null, not an error.
func TestWritesCarryActorAndMissingIsNil(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := &fakeStore{}
	s := newService(f)
	if _, err := s.CreateProduct(ctx, admin, catalog.NewProduct{Price: 2.5, StockCount: 3}); err != nil {
		t.Fatal(err)
	}
	if f.created.Actor != admin.UserID || f.created.Price != 250 || f.created.StockCount != 3 {
		t.Fatalf("created %+v", f.created)
	}
	if _, err := s.CreateProduct(ctx, admin, catalog.NewProduct{Price: -1, StockCount: -1}); models.ErrorCode(err) != errcode.BadUserInput {
		t.Fatalf("a negative price and stock: %v, want BAD_USER_INPUT", err)
	}
	price := 3.0
	f.notFound = true
	p, err := s.UpdateProduct(ctx, admin, catalog.ProductUpdate{ID: productID, Price: &price})
	if p != nil || err != nil {
		t.Fatalf("updating a missing product: %v, %v, want nil and no error", p, err)
	}
	if f.patched.Actor != admin.UserID {
		t.Fatalf("patch %+v has no actor", f.patched)
	}
	name := "Green"
	if n, err := s.UpdateCategory(ctx, admin, categoryID, &name, nil); n != nil || err != nil {
		t.Fatalf("updating a missing category: %v, %v, want nil and no error", n, err)
	}
}

// One request reads the category tree once, however many fields need it;
// requests don't share it.
func TestCategoryTreeReadOncePerRequest(t *testing.T) {
	t.Parallel()
	f := &fakeStore{}
	s := newService(f)
	ctx := catalog.WithMemo(context.Background())
	if _, err := s.Categories(ctx, customer); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if n, err := s.Category(ctx, customer, categoryID); err != nil || n == nil || n.Name != "Tea" {
			t.Fatalf("category: %+v, %v", n, err)
		}
	}
	id := categoryID
	if _, err := s.ProductsPage(ctx, customer, nil, nil, models.ProductSearch{CategoryID: &id}); err != nil {
		t.Fatal(err)
	}
	if f.categories != 1 {
		t.Fatalf("one request read the tree %d times, want 1", f.categories)
	}
	if _, err := s.Categories(catalog.WithMemo(context.Background()), customer); err != nil {
		t.Fatal(err)
	}
	if f.categories != 2 {
		t.Fatalf("a second request read the tree %d times in all, want 2", f.categories)
	}
	if n, err := s.Category(ctx, customer, "00000000-0000-4000-8000-00000000ffff"); n != nil || err != nil {
		t.Fatalf("an unknown category: %v, %v, want nil", n, err)
	}
}
